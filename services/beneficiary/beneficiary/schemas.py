"""marshmallow schemas of the beneficiary service's RPC payloads.

Error messages never repeat the value they refuse: they reach logs and clients,
and the value may be a national number.
"""

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from beneficiary import domain, enums
from contracts.agency.catalogue import AGENCIES
from kit import corrections, inputs, taxonomy
from kit.reference import municipality
from kit.rules import Refused


def _occupation(code: str) -> None:
    if taxonomy.default().occupation(code) is None:
        raise ValidationError("unknown occupation code (ROME code of the taxonomy expected, e.g. F1703)")


def _competence(code: str) -> None:
    if taxonomy.default().competence_label(code) is None:
        raise ValidationError("unknown competence code (competence code of the taxonomy expected)")


ROME_OCCUPATION = _occupation
ROME_COMPETENCE = _competence


class _Strict(Schema):
    class Meta:
        # Unknown fields are refused, so that protected fields (state, owner, Mission) cannot be mass-assigned.
        unknown = RAISE


def _not_future(value: date) -> None:
    if value > date.today():
        raise ValidationError("is in the future")


class TargetGroupSchema(_Strict):
    group = fields.String(required=True, validate=validate.OneOf(list(enums.TARGET_GROUPS)))
    evidence = fields.String(required=True, validate=validate.Length(1, 300))
    since = fields.Date(required=True, validate=_not_future)
    until = fields.Date(load_default=None)

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("until") and data["until"] < data["since"]:
            raise ValidationError("ends before it starts", "until")


class DisclosureSchema(_Strict):
    agency = fields.String(required=True, validate=validate.OneOf(AGENCIES))
    basis = fields.String(required=True, validate=validate.OneOf(enums.DISCLOSURE_BASES))
    reference = fields.String(required=True, validate=validate.Length(1, 200))
    agency_reference = fields.String(load_default=None, validate=validate.Length(1, 50))
    given_on = fields.Date(required=True, validate=_not_future)


def _identity_number(value: str) -> None:
    try:
        domain.niss_kind(value)
    except Refused as refusal:
        raise ValidationError(refusal.message) from None


NUMBER, PROVISIONAL_IDENTITY = "number", enums.PROVISIONAL


class IntakeSchema(_Strict):
    # A number, or the explicit choice of a provisional identity (neither number known yet at intake).
    identity = fields.String(
        load_default=NUMBER,
        validate=validate.OneOf([NUMBER, PROVISIONAL_IDENTITY]),
        metadata={"description": "'number' (the default: niss required) or 'provisional' (no niss; completed later)"},
    )
    niss = fields.String(
        load_default=None,
        metadata={"description": "national register number or BIS number, with or without separators"},
    )
    # A provisional intake that looks like a file on record (same names and birth date) is refused unless the
    # counsellor confirms it is another person.
    confirmed_other_person = fields.Boolean(load_default=False)
    first_name = fields.String(required=True, validate=validate.Length(1, 100))
    last_name = fields.String(required=True, validate=validate.Length(1, 100))
    birth_date = fields.Date(required=True)
    gender = fields.String(required=True, validate=validate.OneOf(["F", "M", "X"]))
    municipality = fields.String(required=True)
    registered_on = fields.Date(load_default=None)
    phone = fields.String(
        load_default=None, validate=validate.Regexp(r"^\+?[0-9 ./-]{8,20}$", error="not a phone number")
    )
    email = fields.Email(load_default=None)
    referrer_type = fields.String(load_default="self", validate=validate.OneOf(enums.REFERRER_TYPES))
    referrer_organisation = fields.String(load_default=None, validate=validate.Length(1, 200))
    target_groups = fields.List(fields.Nested(TargetGroupSchema), load_default=list)
    disclosures = fields.List(fields.Nested(DisclosureSchema), load_default=list)

    @validates("niss")
    def _niss(self, value, **kwargs):
        if value is not None:
            _identity_number(value)

    @validates("municipality")
    def _municipality(self, value, **kwargs):
        if municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")

    @validates_schema
    def _identity(self, data, **kwargs):
        if data.get("identity") == PROVISIONAL_IDENTITY and data.get("niss"):
            raise ValidationError("a provisional identity takes no number: choose one or the other", "niss")
        if data.get("identity", NUMBER) == NUMBER and not data.get("niss"):
            raise ValidationError(
                "a national register or BIS number is required, or choose a provisional identity", "niss"
            )

    @validates_schema
    def _dates(self, data, **kwargs):
        today = date.today()
        born, registered = data.get("birth_date"), data.get("registered_on") or today
        if born and born > today:
            raise ValidationError("birth date is in the future", "birth_date")
        if born and born.year < today.year - 100:
            raise ValidationError("birth date is more than 100 years ago", "birth_date")
        if registered > today:
            raise ValidationError("intake date is in the future", "registered_on")
        if born and registered < born:
            raise ValidationError("intake date is before birth", "registered_on")


def _version() -> fields.Field:
    return corrections.version_field("file")


class CorrectionSchema(corrections.CorrectionBody, _Strict):
    """A correction of a person's file: the version read, and only the fields that change (kit.corrections).

    Identity, contact, municipality and target groups (the whole list, with their evidence, replaces the one
    on file). Not the national number: it is the file's key and its pseudonym's source."""

    version = _version()
    first_name = fields.String(validate=validate.Length(1, 100))
    last_name = fields.String(validate=validate.Length(1, 100))
    birth_date = fields.Date()
    gender = fields.String(validate=validate.OneOf(["F", "M", "X"]))
    municipality = fields.String()
    phone = fields.String(
        allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ./-]{8,20}$", error="not a phone number")
    )
    email = fields.Email(allow_none=True)
    referrer_type = fields.String(validate=validate.OneOf(enums.REFERRER_TYPES))
    referrer_organisation = fields.String(allow_none=True, validate=validate.Length(1, 200))
    target_groups = fields.List(fields.Nested(TargetGroupSchema))

    @validates("municipality")
    def _municipality(self, value, **kwargs):
        if municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")

    @validates("birth_date")
    def _born(self, value, **kwargs):
        today = date.today()
        if value > today:
            raise ValidationError("birth date is in the future")
        if value.year < today.year - 100:
            raise ValidationError("birth date is more than 100 years ago")


class CorrectionEntrySchema(Schema):
    """One correction as the history lists it: the version it made, who, when, and each field's change."""

    version = fields.Integer()
    at = fields.String()
    by = fields.String()
    role = fields.String()
    changes = fields.List(fields.Dict())


class CompetenceSchema(_Strict):
    code = fields.String(required=True, validate=ROME_COMPETENCE)
    level = fields.Integer(required=True, validate=validate.Range(1, 4))
    kind = fields.String(required=True, validate=validate.OneOf(enums.COMPETENCE_KINDS))
    source = fields.String(required=True, validate=validate.OneOf(enums.COMPETENCE_SOURCES))


class AssessmentSchema(_Strict):
    assessed_on = fields.Date(load_default=None, validate=_not_future)
    competences = fields.List(fields.Nested(CompetenceSchema), required=True, validate=validate.Length(1, 200))


class PlanActionSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(enums.PLAN_ACTIONS))
    description = fields.String(required=True, validate=validate.Length(1, 500))
    due = fields.Date(load_default=None)


class PlanSchema(_Strict):
    target_occupations = fields.List(
        fields.String(validate=ROME_OCCUPATION), required=True, validate=validate.Length(1, 5)
    )
    missing_competences = fields.List(fields.String(validate=ROME_COMPETENCE), load_default=list)
    actions = fields.List(fields.Nested(PlanActionSchema), required=True, validate=validate.Length(1, 30))
    contract_wishes = fields.List(
        fields.String(validate=validate.OneOf(enums.CONTRACT_TYPES)), required=True, validate=validate.Length(1)
    )
    hours_wish = fields.Integer(load_default=None, validate=validate.Range(4, 50))
    mobility_km = fields.Integer(required=True, validate=validate.Range(0, 200))
    available_from = fields.Date(load_default=None)
    agreed_with_person = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="a plan is agreed with the person: record it once they agree"),
    )


class GapChoiceSchema(_Strict):
    """One missing competence chosen, and the action it becomes (none given: ``domain.default_gap_action``)."""

    code = fields.String(required=True, validate=ROME_COMPETENCE)
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.GAP_ACTIONS))
    due = fields.Date(load_default=None, allow_none=True)


GAP_SOURCES = ("vacancy_id", "proposal_id", "occupation")


class PlanGapsSchema(_Strict):
    """Gaps into the plan: the plan version read, one source (a vacancy, a proposal of the person's, or an
    occupation) and the missing competences the counsellor chose from matching's explanation."""

    plan_version = fields.Integer(required=True, validate=validate.Range(1))
    vacancy_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    proposal_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 36))
    occupation = fields.String(load_default=None, allow_none=True, validate=ROME_OCCUPATION)
    gaps = fields.List(
        fields.Nested(GapChoiceSchema),
        required=True,
        validate=validate.Length(1, 30, error="choose from 1 to 30 missing competences"),
    )
    agreed_with_person = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="a plan is agreed with the person: record it once they agree"),
    )

    @validates_schema(skip_on_field_errors=False)
    def _one_source(self, data, **kwargs):
        if sum(1 for name in GAP_SOURCES if data.get(name)) != 1:
            raise ValidationError("give exactly one of vacancy_id, proposal_id or occupation", "source")


class StageMoveSchema(_Strict):
    to = fields.String(required=True, validate=validate.OneOf(enums.STAGES))
    why = fields.String(load_default=None, validate=validate.Length(1, 500))


class DropOutSchema(_Strict):
    reason = fields.String(required=True, validate=validate.OneOf(enums.DROPOUT_REASONS))
    why = fields.String(load_default=None, validate=validate.Length(1, 500))


class NoteSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(enums.NOTE_KINDS))
    text = fields.String(required=True, validate=validate.Length(1, 20000))


class ContractSchema(_Strict):
    signed_on = fields.Date(required=True, validate=_not_future)
    employer_id = fields.String(required=True, validate=validate.Length(1, 36))
    contract_type = fields.String(required=True, validate=validate.OneOf(enums.CONTRACT_TYPES))
    hours_per_week = fields.Integer(required=True, validate=validate.Range(1, 50))
    # Where the job is: decides which agency hears of the contract (contracts.agency.routing).
    workplace_municipality = fields.String(load_default=None)

    @validates("workplace_municipality")
    def _workplace(self, value, **kwargs):
        if value is not None and municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected, e.g. 21004 for Bruxelles)")


class FollowUpSchema(_Strict):
    checked_on = fields.Date(required=True, validate=_not_future)
    still_employed = fields.Boolean(required=True)
    source = fields.String(required=True, validate=validate.OneOf(enums.FOLLOWUP_SOURCES))


class TransferRequestSchema(_Strict):
    """A counsellor's request to hand the file to another Mission (``beneficiary.transfers``)."""

    to_mission = fields.String(
        required=True, validate=validate.Length(1, 32), metadata={"description": "the code of the Mission asked"}
    )
    consent = fields.Boolean(
        required=True,
        metadata={"description": "the person consents to their file being transferred (must be true)"},
    )
    notes_consent = fields.Boolean(
        load_default=False, metadata={"description": "the person consents to their accompaniment notes moving too"}
    )
    reason = fields.String(required=True, validate=validate.Length(1, 500))

    @validates("consent")
    def _consented(self, value: bool, **_: Any) -> None:
        if value is not True:
            raise ValidationError("the person's consent to the transfer is required")


class TransferDeclineSchema(_Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class TransferListSchema(_Strict):
    direction = fields.String(load_default=enums.RECEIVED, validate=validate.OneOf((enums.RECEIVED, enums.SENT)))
    status = fields.String(load_default=None, validate=validate.OneOf(enums.TRANSFER_STATUSES))


class ExitSchema(_Strict):
    reason = fields.String(required=True, validate=validate.OneOf(enums.EXIT_REASONS))
    why = fields.String(load_default=None, validate=validate.Length(1, 500))


class IdentitySchema(_Strict):
    """Completing a provisional identity: the person's national register or BIS number."""

    niss = fields.String(
        required=True,
        validate=_identity_number,
        metadata={"description": "national register number or BIS number, with or without separators"},
    )


class MergeSchema(IdentitySchema):
    """Folding a provisional file into the file that holds the person's number: the number again (what vouches
    that both files are the same person) and that file's reference, as the 409 of the completion named it."""

    into = fields.String(required=True, validate=validate.Length(1, 36))


class MergeTraceSchema(Schema):
    """A merge as its trace keeps it: by reference only."""

    merged_id = fields.String()
    into_id = fields.String()
    at = fields.Function(lambda row: inputs.aware(row.at).isoformat())
    by = fields.String()
    role = fields.String()
    moved = fields.Dict()


class ReopenSchema(_Strict):
    """A person who left comes back: a new episode on their closed file (``application.reopen``)."""

    started_on = fields.Date(
        load_default=None, validate=_not_future, metadata={"description": "the new intake's date (today if absent)"}
    )
    referrer_type = fields.String(load_default="self", validate=validate.OneOf(enums.REFERRER_TYPES))
    referrer_organisation = fields.String(load_default=None, validate=validate.Length(1, 200))
    why = fields.String(
        load_default=None, validate=validate.Length(1, 500), metadata={"description": "why the person came back"}
    )


class BeneficiarySchema(Schema):
    id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    gender = fields.String()
    municipality = fields.String()
    registered_on = fields.Date()
    phone = fields.String()
    email = fields.String()
    referrer_type = fields.String()
    referrer_organisation = fields.String()
    stage = fields.String()
    status = fields.String()
    counsellor = fields.String()
    # Which kind of identity number the file holds (enums.NISS_KINDS); the number itself is never answered.
    niss_kind = fields.String()
    # What a correction sends back (kit.corrections).
    version = fields.Integer()
    # The current episode's number: 1 from intake, one more at each re-opening.
    episode = fields.Integer()


# The parts of a record some RPCs answer with.
LISTED = BeneficiarySchema(only=("id", "first_name", "last_name", "stage", "status"))
STAGE = BeneficiarySchema(only=("stage", "status"))
STATUS = BeneficiarySchema(only=("status",))


class AuditQuerySchema(_Strict):
    """What the data-protection officer asks of the audit trail: a person, a user, a period (days, inclusive)."""

    subject = fields.String(load_default=None, validate=validate.Length(1, 36))
    user = fields.String(load_default=None, validate=validate.Length(1, 100))
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10**6))
    page_size = fields.Integer(load_default=50, validate=validate.Range(1, 100))

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("ends before it starts", "until")


class AuditEntrySchema(Schema):
    """One row of the audit trail: by reference only (the person's file id, the user's name)."""

    # In UTC, said so on every database (SQLite hands back the stored instant without its offset).
    at = fields.Function(lambda row: inputs.aware(row.at).isoformat())
    user = fields.String(attribute="actor")
    role = fields.String()
    action = fields.String()
    purpose = fields.String()
    subject = fields.String()


class NoteTextSchema(_Strict):
    """A note's body over HTTP, where the kind is in the path."""

    text = fields.String(required=True, validate=validate.Length(1, 20000))


# -- answers: what the service's RPC methods return, dumped from its records ---------------------------
class ContractOutSchema(Schema):
    episode = fields.Integer()
    signed_on = fields.Date()
    employer_id = fields.String()
    contract_type = fields.String()
    hours_per_week = fields.Integer()
    check_due = fields.Date()
    checked_on = fields.Date()
    still_employed = fields.Boolean()


class TargetGroupOutSchema(Schema):
    group = fields.String()
    since = fields.Date()
    until = fields.Date()
    # None where the caller may not see it (application.file).
    evidence = fields.String()


class DisclosureOutSchema(Schema):
    agency = fields.String()
    basis = fields.String()
    reference = fields.String()
    given_on = fields.Date()
    withdrawn_on = fields.Date()


class FileTransferSchema(Schema):
    """The file's latest transfer to another Mission, as the file shows it."""

    id = fields.String()
    to_mission = fields.String(attribute="mission")
    status = fields.String()
    requested_on = fields.Date()
    answered_on = fields.Date()
    answer_reason = fields.String()


class EpisodeOutSchema(Schema):
    number = fields.Integer()
    started_on = fields.Date()
    ended_on = fields.Date()
    # 'exited' or 'dropped_out' once ended, with the reason recorded then.
    outcome = fields.String()
    outcome_reason = fields.String()
    referrer_type = fields.String()
    referrer_organisation = fields.String()
    why = fields.String()
    opened_by = fields.String()
    # The partner's referral the episode was opened from (beneficiary.referrals), if it was.
    referral_id = fields.String()


class FileSchema(Schema):
    """What ``get`` answers beside the person's identity (``application.File``)."""

    target_groups = fields.List(fields.Nested(TargetGroupOutSchema))
    disclosures = fields.List(fields.Nested(DisclosureOutSchema))
    # The current episode's plan and contract; earlier episodes' stay readable (plan, pathway, episodes).
    plan_version = fields.Integer()
    contract = fields.Nested(ContractOutSchema)
    followed_elsewhere = fields.List(fields.String())
    # The provisional files merged into this one (their trace: who, when, what moved).
    merges = fields.List(fields.Nested(MergeTraceSchema))
    transfer = fields.Nested(FileTransferSchema, allow_none=True)

    # Every episode, the current (latest) first.
    episodes = fields.List(fields.Nested(EpisodeOutSchema))


class PlanOutSchema(Schema):
    version = fields.Integer()
    episode = fields.Integer()
    target_occupations = fields.Raw()
    missing_competences = fields.Raw()
    actions = fields.Raw()
    contract_wishes = fields.Raw()
    hours_wish = fields.Integer()
    mobility_km = fields.Integer()
    available_from = fields.Date()
    agreed_by = fields.String()
    agreed_at = fields.DateTime()


class TransitionOutSchema(Schema):
    from_stage = fields.String(data_key="from")
    to_stage = fields.String(data_key="to")
    kind = fields.String()
    reason = fields.String()
    why = fields.String()
    at = fields.DateTime()
    by = fields.String()
    role = fields.String()
    episode = fields.Integer()


class PathwaySchema(Schema):
    stage = fields.String()
    status = fields.String()
    episode = fields.Integer()
    transitions = fields.List(fields.Nested(TransitionOutSchema))


class NoteOutSchema(Schema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    author = fields.String()
    at = fields.DateTime()


class AssessedOutSchema(Schema):
    """What ``assess`` answers: the assessment and how many competences it records."""

    id = fields.String()
    assessed_on = fields.Date()
    competences = fields.Function(lambda assessment: len(assessment.competences))


class ReopenedOutSchema(Schema):
    """What a re-opening answers: the file, its new episode's number and start, where the path now is."""

    id = fields.String()
    episode = fields.Integer()
    started_on = fields.Date()
    stage = fields.String()
    status = fields.String()


REOPENED = ReopenedOutSchema()
AGREED = PlanOutSchema(only=("version", "episode", "agreed_by", "agreed_at"))
NOTE_ADDED = NoteOutSchema(only=("id", "kind", "at"))


def file_answer(_session: object, found: Any) -> dict[str, Any]:
    """What ``get`` answers: the person's identity and the rest of their file (``application.File``)."""
    return BeneficiarySchema().dump(found.person) | FileSchema().dump(found)
