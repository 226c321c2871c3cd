"""The convention service's vocabularies, in the field's own terms (DOMAIN.md, steps 2, 3, 6, 7)."""

# The two kinds of convention that make one training project.
EMPLOYER, TRAINING = "employer", "training"  # Mission–employer, Mission–training operator(s)
KINDS = (EMPLOYER, TRAINING)

# Signature workflow.
DRAFT, READY_TO_SIGN, PARTIALLY_SIGNED, SIGNED, ACTIVE, COMPLETED = (
    "draft",
    "ready_to_sign",
    "partially_signed",
    "signed",
    "active",
    "completed",
)
TERMINATED, CANCELLED = "terminated", "cancelled"
# An amended version that a newer signed version replaced; kept, never changed again.
SUPERSEDED = "superseded"
STATUSES = (DRAFT, READY_TO_SIGN, PARTIALLY_SIGNED, SIGNED, ACTIVE, COMPLETED, TERMINATED, CANCELLED, SUPERSEDED)
IN_FORCE = (SIGNED, ACTIVE, COMPLETED, TERMINATED)  # a version that was signed and not replaced

CANCEL_REASONS = ("employer_withdrew", "operator_withdrew", "no_candidates", "funding_refused", "duplicate", "other")
TERMINATE_REASONS = (
    "employer_withdrew",
    "operator_withdrew",
    "too_few_trainees",
    "breach",
    "funding_withdrawn",
    "other",
)

# Parties. An operator's party key carries its enterprise number: "operator:0123456789".
MISSION_PARTY, EMPLOYER_PARTY, OPERATOR_PREFIX = "mission", "employer", "operator:"

CONTRACT_TYPES = ("permanent", "fixed_term", "temp", "article_60", "apprenticeship", "other")

# Confirmation internship ("stage de confirmation de projet professionnel").
CONFIRMED, REORIENTED = "confirmed", "reoriented"
INTERNSHIP_OUTCOMES = (CONFIRMED, REORIENTED)

# Trainees.
IN_TRAINING, DROPPED_OUT, TRAINEE_COMPLETED, HIRED, NOT_HIRED = (
    "in_training",
    "dropped_out",
    "completed",
    "hired",
    "not_hired",
)
TRAINEE_STATUSES = (IN_TRAINING, DROPPED_OUT, TRAINEE_COMPLETED, HIRED, NOT_HIRED)
TRAINEE_FINAL = (DROPPED_OUT, HIRED, NOT_HIRED)
DROPOUT_REASONS = (
    "health",
    "family",
    "found_job_alone",
    "moved",
    "motivation",
    "training_unsuited",
    "unreachable",
    "committee_decision",
    "other",
)
NOT_HIRED_REASONS = ("no_post_left", "level_not_reached", "trainee_declined", "employer_declined", "other")

# Committees.
FOLLOW_UP, PEDAGOGICAL = "follow_up", "pedagogical"  # comité d'accompagnement, comité pédagogique
COMMITTEE_KINDS = (FOLLOW_UP, PEDAGOGICAL)
# What a committee may decide for one trainee's path (codes only: never a note about the person).
DECISION_KINDS = ("extend_training", "change_tutor", "remediation", "adjust_schedule", "end_training")

# The employer's hiring commitment, evaluated at completion.
FULFILLED, PARTLY, NOT_FULFILLED = "fulfilled", "partly", "not"
COMMITMENT_OUTCOMES = (FULFILLED, PARTLY, NOT_FULFILLED)
