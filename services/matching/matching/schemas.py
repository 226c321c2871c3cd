"""marshmallow schemas at matching's boundaries: RPC arguments and the event data it consumes.

Event schemas read tolerantly (unknown fields are ignored: producers may add
fields without breaking matching); RPC schemas refuse what they do not know.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from matching.domain import MAX_LIMIT

ROME_CODE = validate.Regexp(r"^[A-N][0-9]{4}$", error="not a ROME code (a letter A-N and four digits, e.g. F1703)")
REFNIS = validate.Regexp(r"^[0-9]{5}$", error="not a REFNIS municipality code (five digits)")
LIMIT = validate.Range(1, MAX_LIMIT, error=f"must be between 1 and {MAX_LIMIT}")


class _Tolerant(Schema):
    class Meta:
        unknown = EXCLUDE


class PersonCompetence(_Tolerant):
    code = fields.String(required=True, validate=validate.Length(1, 20))
    level = fields.Integer(required=True, validate=validate.Range(1, 4))
    kind = fields.String(load_default="technical")


class Assessed(_Tolerant):
    beneficiary_id = fields.String(required=True, validate=validate.Length(1, 64))
    municipality = fields.String(load_default=None, allow_none=True)
    assessed_on = fields.Date(required=True)
    competences = fields.List(fields.Nested(PersonCompetence), load_default=list)


class PlanAgreed(_Tolerant):
    beneficiary_id = fields.String(required=True, validate=validate.Length(1, 64))
    version = fields.Integer(required=True)
    target_occupations = fields.List(fields.String(), load_default=list)
    contract_wishes = fields.List(fields.String(), load_default=list)
    hours_wish = fields.Integer(load_default=None, allow_none=True)
    mobility_km = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 1000))
    available_from = fields.Date(load_default=None, allow_none=True)
    municipality = fields.String(load_default=None, allow_none=True)


class JobCompetence(_Tolerant):
    code = fields.String(required=True, validate=validate.Length(1, 20))
    level = fields.Integer(load_default=1, validate=validate.Range(1, 4))
    essential = fields.Boolean(load_default=False)


class VacancyData(_Tolerant):
    vacancy_id = fields.String(required=True, validate=validate.Length(1, 64))
    employer_id = fields.String(required=True, validate=validate.Length(1, 64))
    occupation = fields.String(required=True, validate=validate.Length(1, 5))
    title = fields.String(load_default="", validate=validate.Length(0, 300))
    competences = fields.List(fields.Nested(JobCompetence), load_default=list)
    contract_type = fields.String(load_default=None, allow_none=True)
    hours_per_week = fields.Integer(load_default=None, allow_none=True)
    municipality = fields.String(load_default=None, allow_none=True)
    posts = fields.Integer(load_default=1)
    start_date = fields.Date(load_default=None, allow_none=True)


class Ref(_Tolerant):
    """Events that only need the reference (contract_signed, erased, vacancy_closed)."""

    beneficiary_id = fields.String(load_default=None)
    vacancy_id = fields.String(load_default=None)
    signed_on = fields.Date(load_default=None, allow_none=True)


class PostFilled(_Tolerant):
    """``vacancy_filled``: one more post taken; the vacancy ends with its last (``domain.last_post``)."""

    vacancy_id = fields.String(load_default=None)
    posts = fields.Integer(load_default=None, allow_none=True)
    filled = fields.Integer(load_default=None, allow_none=True)


class SuggestArgs(Schema):
    title = fields.String(required=True, validate=validate.Length(2, 200, error="must be 2 to 200 characters"))
    limit = fields.Integer(load_default=5, validate=LIMIT)


class RankCandidatesArgs(Schema):
    vacancy_id = fields.String(required=True, validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=20, validate=LIMIT)


class RankVacanciesArgs(Schema):
    beneficiary_id = fields.String(required=True, validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=20, validate=LIMIT)


class ProposeArgs(Schema):
    vacancy_id = fields.String(required=True, validate=validate.Length(1, 64))
    beneficiary_id = fields.String(required=True, validate=validate.Length(1, 64))


class MoveArgs(Schema):
    proposal_id = fields.String(required=True, validate=validate.Length(1, 36))
    to = fields.String(
        required=True, validate=validate.OneOf(("presented", "interview", "hired", "rejected", "withdrawn"))
    )
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))


class ListArgs(Schema):
    vacancy_id = fields.String(load_default=None, allow_none=True)
    beneficiary_id = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=LIMIT)


class OccupationArgs(Schema):
    code = fields.String(required=True, validate=ROME_CODE)
