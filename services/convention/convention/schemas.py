"""marshmallow schemas of the convention service's RPC payloads (writes refuse unknown fields)."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema
from stdnum.be import vat
from stdnum.exceptions import ValidationError as NumberError

from convention import enums
from kit.answers import TransitionOutSchema
from kit.reference import municipality

REF = validate.Length(1, 36, error="a reference of 1 to 36 characters is expected")


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # status, versions, signatures and outcomes are never mass-assigned


def _enterprise_number(value):
    try:
        vat.validate(value)
    except NumberError:
        raise ValidationError("not a valid Belgian enterprise number (BCE/KBO)") from None


class OperatorSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    enterprise_number = fields.String(required=True, validate=_enterprise_number)


class EmployerTermsSchema(_Strict):
    """The Mission–employer convention: the post, the hiring commitment, the contract offered."""

    post_title = fields.String(required=True, validate=validate.Length(2, 200))
    hires_committed = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 50, error="between 1 and 50 hires")
    )
    contract_type = fields.String(required=True, validate=validate.OneOf(enums.CONTRACT_TYPES))
    hours_per_week = fields.Integer(required=True, strict=True, validate=validate.Range(1, 50))
    # Where the trainees will work (REFNIS): decides which agency hears of the project (contracts.agency).
    workplace_municipality = fields.String(load_default=None, allow_none=True)

    @validates("workplace_municipality")
    def _workplace(self, value, **kwargs):
        if value is not None and municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")


class TrainingTermsSchema(_Strict):
    """The Mission–training operator(s) convention: profile, specification, hours, schedule, places."""

    operators = fields.List(
        fields.Nested(OperatorSchema),
        required=True,
        validate=validate.Length(1, 5, error="one to five training operators"),
    )
    training_profile = fields.String(required=True, validate=validate.Length(2, 200))
    specification = fields.String(required=True, validate=validate.Length(1, 20000))
    hours_centre = fields.Integer(required=True, strict=True, validate=validate.Range(0, 3000))
    hours_work = fields.Integer(required=True, strict=True, validate=validate.Range(0, 3000))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    trainees_planned = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 50, error="between 1 and 50 trainees")
    )

    @validates("operators")
    def _distinct(self, value, **kwargs):
        numbers = [vat.compact(o["enterprise_number"])[-10:] for o in value if o.get("enterprise_number")]
        if len(set(numbers)) != len(numbers):
            raise ValidationError("the same operator is listed twice")

    @validates_schema
    def _schedule(self, data, **kwargs):
        if "start_date" in data and "end_date" in data and data["end_date"] < data["start_date"]:
            raise ValidationError("is before the start date", "end_date")
        if "hours_centre" in data and "hours_work" in data and data["hours_centre"] + data["hours_work"] == 0:
            raise ValidationError("a training has hours in centre or at work", "hours_centre")


class ProjectSchema(_Strict):
    title = fields.String(required=True, validate=validate.Length(2, 200))
    vacancy_id = fields.String(required=True, validate=REF)
    employer_id = fields.String(required=True, validate=REF)
    employer_convention = fields.Nested(EmployerTermsSchema, required=True)
    training_convention = fields.Nested(TrainingTermsSchema, required=True)


def terms_schema(kind: str, partial: bool = False) -> Schema:
    cls = EmployerTermsSchema if kind == enums.EMPLOYER else TrainingTermsSchema
    return cls(partial=partial)


class SignatureSchema(_Strict):
    party = fields.String(required=True, validate=validate.Length(1, 20))
    signer_name = fields.String(required=True, validate=validate.Length(2, 200))
    signer_function = fields.String(load_default=None, validate=validate.Length(1, 100))


class ReasonSchema(_Strict):
    reason = fields.String(required=True)


class InternshipSchema(_Strict):
    beneficiary_id = fields.String(required=True, validate=REF)
    host_employer_id = fields.String(load_default=None, validate=REF)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(enums.INTERNSHIP_OUTCOMES))


class TutorSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(2, 200))
    function = fields.String(load_default=None, validate=validate.Length(1, 100))


class EnrolmentSchema(_Strict):
    beneficiary_id = fields.String(required=True, validate=REF)
    start_date = fields.Date(required=True)
    planned_end = fields.Date(required=True)
    tutor = fields.Nested(TutorSchema, required=True)


class DropOutSchema(_Strict):
    on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(enums.DROPOUT_REASONS))


class TraineeCompletionSchema(_Strict):
    on = fields.Date(required=True)


class HireSchema(_Strict):
    on = fields.Date(required=True)
    contract_type = fields.String(required=True, validate=validate.OneOf(enums.CONTRACT_TYPES))


class NotHiredSchema(_Strict):
    on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(enums.NOT_HIRED_REASONS))


class DecisionSchema(_Strict):
    trainee_id = fields.String(required=True, validate=REF)
    kind = fields.String(required=True, validate=validate.OneOf(enums.DECISION_KINDS))
    until = fields.Date(load_default=None)
    tutor = fields.Nested(TutorSchema, load_default=None)
    reason = fields.String(load_default=None, validate=validate.OneOf(enums.DROPOUT_REASONS))

    @validates_schema
    def _needs(self, data, **kwargs):
        if data["kind"] in ("extend_training", "adjust_schedule") and data.get("until") is None:
            raise ValidationError("this decision needs the new end date", "until")
        if data["kind"] == "change_tutor" and data.get("tutor") is None:
            raise ValidationError("this decision needs the new tutor", "tutor")
        if data["kind"] == "end_training" and data.get("reason") is None:
            raise ValidationError("this decision needs a reason", "reason")


class CommitteeSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(enums.COMMITTEE_KINDS))
    held_on = fields.Date(required=True)
    attendees = fields.List(
        fields.String(validate=validate.Length(1, 20)),
        required=True,
        validate=validate.Length(1, 20, error="one to twenty organisations"),
    )
    decisions = fields.List(fields.Nested(DecisionSchema), load_default=list, validate=validate.Length(0, 100))


# -- what the service returns ----------------------------------------------
class PartyOutSchema(Schema):
    party = fields.String()
    name = fields.String()
    enterprise_number = fields.String()
    signed_at = fields.DateTime()
    signer_name = fields.String()
    signer_function = fields.String()
    recorded_by = fields.String()


class ConventionOutSchema(Schema):
    id = fields.String()
    project_id = fields.String()
    kind = fields.String()
    version = fields.Integer()
    previous_id = fields.String()
    status = fields.String()
    status_reason = fields.String()
    post_title = fields.String()
    hires_committed = fields.Integer()
    contract_type = fields.String()
    hours_per_week = fields.Integer()
    workplace_municipality = fields.String()
    training_profile = fields.String()
    specification = fields.String()
    hours_centre = fields.Integer()
    hours_work = fields.Integer()
    start_date = fields.Date()
    end_date = fields.Date()
    trainees_planned = fields.Integer()
    hires_actual = fields.Integer()
    commitment_outcome = fields.String()
    evaluated_at = fields.DateTime()


EMPLOYER_FIELDS = ("post_title", "hires_committed", "contract_type", "hours_per_week", "workplace_municipality")
TRAINING_FIELDS = (
    "training_profile",
    "specification",
    "hours_centre",
    "hours_work",
    "start_date",
    "end_date",
    "trainees_planned",
)


def convention_out(convention) -> dict:
    other = (
        TRAINING_FIELDS
        if convention.kind == enums.EMPLOYER
        else EMPLOYER_FIELDS + ("hires_actual", "commitment_outcome", "evaluated_at")
    )
    return ConventionOutSchema(exclude=other).dump(convention)


class ProjectOutSchema(Schema):
    id = fields.String()
    title = fields.String()
    vacancy_id = fields.String()
    employer_id = fields.String()
    vacancy_status = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String()


class TraineeOutSchema(Schema):
    id = fields.String()
    project_id = fields.String()
    beneficiary_id = fields.String()
    status = fields.String()
    start_date = fields.Date()
    planned_end = fields.Date()
    completed_on = fields.Date()
    hired_on = fields.Date()
    contract_type = fields.String()
    outcome_reason = fields.String()
    tutor_name = fields.String()
    tutor_function = fields.String()


class InternshipOutSchema(Schema):
    id = fields.String()
    project_id = fields.String()
    beneficiary_id = fields.String()
    host_employer_id = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    outcome = fields.String()
    recorded_by = fields.String()


class ConventionTransitionOutSchema(TransitionOutSchema):
    party = fields.String()


class TraineeTransitionOutSchema(TransitionOutSchema):
    on = fields.Date()


class CommitteeOutSchema(Schema):
    id = fields.String()
    project_id = fields.String()
    kind = fields.String()
    held_on = fields.Date()
    attendees = fields.List(fields.String())
    decisions = fields.List(fields.Dict())
    recorded_by = fields.String()
