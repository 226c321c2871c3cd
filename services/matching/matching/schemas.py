"""marshmallow schemas of matching's RPC arguments: they refuse what they do not know.

The event data matching consumes is loaded through the contract's payload
classes (``contracts.internal``, ``contracts.catalogue.load``).
"""

from marshmallow import Schema, fields, validate

from matching.domain import MAX_LIMIT

ROME_CODE = validate.Regexp(r"^[A-N][0-9]{4}$", error="not a ROME code (a letter A-N and four digits, e.g. F1703)")
REFNIS = validate.Regexp(r"^[0-9]{5}$", error="not a REFNIS municipality code (five digits)")
LIMIT = validate.Range(1, MAX_LIMIT, error=f"must be between 1 and {MAX_LIMIT}")


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


class GapsArgs(Schema):
    """A person and one source of gaps: a vacancy, a proposal of theirs, or an occupation (``matching.gaps``)."""

    beneficiary_id = fields.String(required=True, validate=validate.Length(1, 64))
    vacancy_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    proposal_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 36))
    occupation = fields.String(load_default=None, allow_none=True, validate=ROME_CODE)
