"""marshmallow schemas of the employer service's RPC payloads."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema
from stdnum.be import vat
from stdnum.exceptions import ValidationError as NumberError

from employer import enums
from kit import corrections, reference, taxonomy
from kit.answers import TransitionOutSchema


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # protected fields (status, owner, Mission) cannot be mass-assigned


def _municipality(value):
    if reference.municipality(value) is None:
        raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")


def _occupation(value):
    if taxonomy.default().occupation(value) is None:
        raise ValidationError("unknown occupation code (ROME code of the taxonomy expected, e.g. F1703)")


def _competence(value):
    if taxonomy.default().competence_label(value) is None:
        raise ValidationError("unknown competence code")


class EmployerIntakeSchema(_Strict):
    enterprise_number = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    nace = fields.String(required=True)
    municipality = fields.String(required=True, validate=_municipality)
    legal_form = fields.String(load_default=None)
    joint_committee = fields.String(load_default=None)
    size_band = fields.String(load_default=None, validate=validate.OneOf(enums.SIZE_BANDS))
    street = fields.String(load_default=None, validate=validate.Length(1, 200))
    postal_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}$", error="four digits"))

    @validates("enterprise_number")
    def _bce(self, value, **kwargs):
        try:
            vat.validate(value)
        except NumberError:
            raise ValidationError("not a valid Belgian enterprise number (BCE/KBO)") from None

    @validates("nace")
    def _nace(self, value, **kwargs):
        if reference.nace(value) is None:
            raise ValidationError("unknown NACE-BEL code (2008 or 2025), e.g. 43.221")

    @validates("joint_committee")
    def _committee(self, value, **kwargs):
        if value is not None and reference.joint_committee(value) is None:
            raise ValidationError("unknown joint committee (commission paritaire), e.g. 124")

    @validates("legal_form")
    def _legal_form(self, value, **kwargs):
        if value is not None and reference.legal_form(value) is None:
            raise ValidationError("unknown legal form (KBO code), e.g. 610 for an SRL")


class ContactSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    function = fields.String(load_default=None, validate=validate.Length(1, 100))
    phone = fields.String(
        load_default=None, validate=validate.Regexp(r"^\+?[0-9 ./-]{8,20}$", error="not a phone number")
    )
    email = fields.Email(load_default=None)


class NeedSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(enums.NEED_KINDS))
    description = fields.String(required=True, validate=validate.Length(1, 500))
    occupation = fields.String(load_default=None, validate=_occupation)


class ProspectionSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(enums.CONTACT_KINDS))
    on = fields.Date(required=True)
    summary = fields.String(required=True, validate=validate.Length(1, 5000))
    needs = fields.List(fields.Nested(NeedSchema), load_default=list)
    next_action = fields.String(load_default=None, validate=validate.Length(1, 500))
    next_action_due = fields.Date(load_default=None)

    @validates_schema
    def _next(self, data, **kwargs):
        if data.get("next_action") and not data.get("next_action_due"):
            raise ValidationError("a next action needs a due date", "next_action_due")
        if data.get("next_action_due") and data["next_action_due"] < data["on"]:
            raise ValidationError("is before the contact itself", "next_action_due")


class VacancyCompetenceSchema(_Strict):
    code = fields.String(required=True, validate=_competence)
    level = fields.Integer(required=True, validate=validate.Range(1, 4))
    essential = fields.Boolean(required=True)


class VacancySchema(_Strict):
    employer_id = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(2, 200))
    occupation = fields.String(required=True, validate=_occupation)
    description = fields.String(required=True, validate=validate.Length(1, 20000))
    competences = fields.List(
        fields.Nested(VacancyCompetenceSchema), load_default=list, validate=validate.Length(0, 100)
    )
    contract_type = fields.String(required=True, validate=validate.OneOf(enums.CONTRACT_TYPES))
    hours_per_week = fields.Integer(required=True, validate=validate.Range(1, 50))
    municipality = fields.String(required=True, validate=_municipality)
    posts = fields.Integer(required=True, validate=validate.Range(1, 50, error="between 1 and 50 posts"))
    start_date = fields.Date(load_default=None)
    insertion_process = fields.String(load_default=None, validate=validate.Length(1, 5000))


def _version() -> fields.Field:
    return corrections.version_field("record")


class VacancyUpdateSchema(VacancySchema):
    """A correction of a vacancy: the version read (required) and only the fields that change."""

    class Meta:
        unknown = RAISE

    version = _version()

    def __init__(self, **kwargs):
        # Every field of a vacancy may be left out, except the version: checked by the use case
        # (kit.corrections.sent_version), since a partial schema requires nothing.
        super().__init__(partial=True, **kwargs)


class EmployerCorrectionSchema(corrections.CorrectionBody, EmployerIntakeSchema):
    """A correction of an employer: the version read and only the fields that change. Not the enterprise
    number (the employer's key in the Mission) nor its account manager (reassigned on its own)."""

    class Meta:
        unknown = RAISE
        exclude = ("enterprise_number",)

    version = _version()


class ContactCorrectionSchema(corrections.CorrectionBody, ContactSchema):
    """A correction of a contact: the version read and only the fields that change."""

    version = _version()


class ReassignSchema(_Strict):
    """A new account manager for an employer: a user of the Mission, by user name."""

    version = _version()
    account_manager = fields.String(required=True, validate=validate.Length(1, 100))


class CorrectionEntrySchema(Schema):
    """One correction as the history lists it: the version it made, who, when, and each field's change."""

    version = fields.Integer()
    at = fields.String()
    by = fields.String()
    role = fields.String()
    changes = fields.List(fields.Dict())


class EmployerSchema(Schema):
    id = fields.String()
    enterprise_number = fields.String()
    name = fields.String()
    nace = fields.String()
    municipality = fields.String()
    legal_form = fields.String()
    joint_committee = fields.String()
    size_band = fields.String()
    street = fields.String()
    postal_code = fields.String()
    account_manager = fields.String()
    version = fields.Integer()


class VacancyOutSchema(Schema):
    id = fields.String()
    employer_id = fields.String()
    source = fields.String()
    source_ref = fields.String()
    title = fields.String()
    occupation = fields.String()
    description = fields.String()
    competences = fields.List(fields.Dict())
    contract_type = fields.String()
    hours_per_week = fields.Integer()
    municipality = fields.String()
    posts = fields.Integer()
    filled = fields.Integer()
    start_date = fields.Date()
    insertion_process = fields.String()
    status = fields.String()
    version = fields.Integer()


class ImportedOfferSchema(_Strict):
    """One offer as ``employer.forem.to_offer`` produces it (``line`` says where it came from)."""

    line = fields.Integer(load_default=None)
    # Stored as "forem:<number>" in a 50-character column.
    source_ref = fields.String(required=True, validate=validate.Length(1, 44))
    title = fields.String(required=True, validate=validate.Length(2, 200))
    occupation = fields.String(required=True, validate=_occupation)
    description = fields.String(required=True, validate=validate.Length(1, 20000))
    contract_type = fields.String(required=True, validate=validate.OneOf(enums.CONTRACT_TYPES))
    hours_per_week = fields.Integer(required=True, validate=validate.Range(1, 50))
    municipality = fields.String(required=True, validate=_municipality)
    posts = fields.Integer(required=True, validate=validate.Range(1, 50))
    start_date = fields.Date(load_default=None, allow_none=True)
    open = fields.Boolean(required=True)


class CancelSchema(_Strict):
    reason = fields.String(required=True, validate=validate.OneOf(enums.CANCEL_REASONS))


class FillSchema(_Strict):
    beneficiary_id = fields.String(required=True, validate=validate.Length(1, 36))


# -- answers: what the service's RPC methods return, dumped from its records ---------------------------
class ContactOutSchema(Schema):
    id = fields.String()
    name = fields.String()
    function = fields.String()
    phone = fields.String()
    email = fields.String()
    version = fields.Integer()


class ProspectionOutSchema(Schema):
    id = fields.String()
    kind = fields.String()
    on = fields.Date()
    by = fields.String()
    summary = fields.String()
    needs = fields.Raw()
    next_action = fields.String()
    next_action_due = fields.Date()


class VacancyTransitionOutSchema(TransitionOutSchema):
    beneficiary_id = fields.String()


# Answers that are part of a record.
VACANCY_STATUS = VacancyOutSchema(only=("id", "status"))
VACANCY_FILLED = VacancyOutSchema(only=("id", "status", "filled"))
LISTED_VACANCIES = VacancyOutSchema(exclude=("description",))
PROSPECTION_ID = ProspectionOutSchema(only=("id",))
