"""The beneficiary service's vocabularies, in the field's own terms (DOMAIN.md)."""

# Pathway stages, in their usual order ("parcours", "filière").
STAGES = ("accueil", "orientation", "remise_a_niveau", "preformation", "formation", "outillage", "placement", "suivi")
ACTIVE, DROPPED_OUT, EXITED = "active", "dropped_out", "exited"
# A file handed to another Mission (beneficiary.transfers): kept here as a closed record, changed no more.
TRANSFERRED = "transferred"
INTAKE_STAGE = STAGES[0]
# Which kind of identity number a person's file holds: the national register's, or the BIS register's (kept by
# the Crossroads Bank for Social Security for people without a register entry: newcomers, refugees, cross-border
# workers). Both have 11 digits; a BIS number's month is raised by 20 or 40.
NATIONAL_REGISTER, BIS = "national_register", "bis"
NISS_KINDS = (NATIONAL_REGISTER, BIS)
# A person taken in with neither number yet (it happens at intake): the file holds no number until the identity
# is completed (beneficiary.identity), and its pseudonym is random rather than derived from a number.
PROVISIONAL = "provisional"
IDENTITY_KINDS = (*NISS_KINDS, PROVISIONAL)
# How each step of a path is recorded (stage_transition.kind).
KIND_ENTERED, KIND_MOVED, KIND_REENTERED, KIND_DROPPED_OUT, KIND_EXITED, KIND_REOPENED = (
    "entered",
    "moved",
    "reentered",
    "dropped_out",
    "exited",
    "reopened",
)
# A file handed over: the step that closes it at the sending Mission, and the one that opens it at the receiving one.
KIND_TRANSFER_OUT, KIND_TRANSFER_IN = "transfer_out", "transfer_in"
# Where a transfer between Missions stands (transfer.status), and which side of it a Mission holds.
TRANSFER_REQUESTED, TRANSFER_ACCEPTED, TRANSFER_DECLINED = "requested", "accepted", "declined"
TRANSFER_STATUSES = (TRANSFER_REQUESTED, TRANSFER_ACCEPTED, TRANSFER_DECLINED)
SENT, RECEIVED = "sent", "received"
# A file is closed once its episode ended (exit, or drop-out not followed by a re-entry): it can be re-opened.
CLOSED = (DROPPED_OUT, EXITED)

# Target groups ("publics cibles"); the sensitive ones' evidence never leaves this service.
TARGET_GROUPS = {
    "low_qualification": False,
    "long_term_unemployed": False,
    "disability": True,
    "social_aid": True,
    "neet_youth": False,
    "refugee_newcomer": False,
    "justice_measure": True,
    "single_parent": False,
    "priority_neighbourhood": False,
}
SENSITIVE_GROUPS = frozenset(g for g, sensitive in TARGET_GROUPS.items() if sensitive)

# Who referred the person. Sensitive referrers are generalised in anything sent to an agency.
REFERRER_TYPES = (
    "forem",
    "actiris",
    "cpas",
    "ale",
    "adl",
    "insertion_operator",
    "training_operator",
    "justice_service",
    "aviq",
    "neighbourhood_board",
    "self",
    "other",
)
SENSITIVE_REFERRERS = frozenset({"justice_service", "cpas", "aviq"})

CONTRACT_TYPES = ("permanent", "fixed_term", "temp", "article_60", "apprenticeship", "other")
PLAN_ACTIONS = ("remise_a_niveau", "confirmation_internship", "alternating_training", "job_search", "other")
COMPETENCE_KINDS = ("technical", "behavioural")
COMPETENCE_SOURCES = ("training", "work", "other")
NOTE_KINDS = ("social", "pedagogical")
CONSENT, LEGAL_BASIS = "consent", "legal_basis"
DISCLOSURE_BASES = (CONSENT, LEGAL_BASIS)
DROPOUT_REASONS = (
    "health",
    "family",
    "found_job_alone",
    "moved",
    "motivation",
    "training_unsuited",
    "unreachable",
    "other",
)
EXIT_REASONS = ("durable_employment", "training_elsewhere", "moved", "end_of_accompaniment", "other")
FOLLOWUP_SOURCES = ("phone", "employer", "person", "dimona", "other")
