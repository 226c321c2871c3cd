"""marshmallow schemas of the partner directory (``employer.partners``): what a write sends, what a read answers.

The gateway validates bodies with the same schemas (``gateway.routes.partners``), so an error names its
field (422) before the service is asked.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates
from stdnum.be import vat
from stdnum.exceptions import ValidationError as NumberError

from employer import partners
from kit import corrections, reference
from kit.search import terms


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # the status, the publication and the Mission are never set by a body


def _municipality(value: str) -> None:
    if reference.municipality(value) is None:
        raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")


def _distinct_codes(choices: tuple[str, ...], *, required: bool, most: int) -> fields.List:
    listed = fields.String(validate=validate.OneOf(choices))
    length = validate.Length(1 if required else 0, most)
    described = {"description": f"one or more of {', '.join(choices)}"}
    if required:
        return fields.List(listed, required=True, validate=length, metadata=described)
    return fields.List(listed, load_default=list, validate=length, metadata=described)


class ContactChannelSchema(_Strict):
    """How to reach the organisation or the service: its own channel (a reception desk), not a person."""

    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\+?[0-9 ./-]{8,20}$", error="not a phone number"),
    )
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=200))
    website = fields.Url(
        load_default=None, allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=200)
    )
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200))


class PartnerSchema(_Strict):
    """A partner organisation: its name, BCE number where it has one, type, municipalities served, channel."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    enterprise_number = fields.String(
        load_default=None, allow_none=True, metadata={"description": "BCE/KBO number, e.g. 0212.345.678"}
    )
    partner_type = fields.String(required=True, validate=validate.OneOf(partners.PARTNER_TYPES))
    municipalities = fields.List(
        fields.String(validate=_municipality),
        required=True,
        validate=validate.Length(1, partners.MAX_MUNICIPALITIES),
        metadata={"description": "REFNIS codes of the municipalities served"},
    )
    contact = fields.Nested(ContactChannelSchema, load_default=dict)

    @validates("enterprise_number")
    def _bce(self, value: str | None, **_: Any) -> None:
        if value is None:
            return
        try:
            vat.validate(value)
        except NumberError:
            raise ValidationError("not a valid Belgian enterprise number (BCE/KBO)") from None


class PartnerCorrectionSchema(corrections.CorrectionBody, PartnerSchema):
    """A correction of an organisation: the version read and only the fields that change."""

    version = corrections.version_field("organisation")


class PartnerServiceSchema(_Strict):
    """A service a partner offers: what, for whom, for which needs, on which conditions, how to reach it."""

    title = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(required=True, validate=validate.Length(1, 2000))
    needs = _distinct_codes(partners.NEEDS, required=True, most=len(partners.NEEDS))
    target_groups = _distinct_codes(partners.TARGET_GROUPS, required=False, most=len(partners.TARGET_GROUPS))
    conditions = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))
    contact = fields.Nested(ContactChannelSchema, load_default=dict)
    opening_hours = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))


def search_fields() -> dict[str, fields.Field]:
    """The directory's search criteria, fresh field objects each time (the gateway's query and the service's)."""
    return {
        "q": fields.String(validate=validate.Length(1, 100), metadata={"description": "part of the name"}),
        "need": fields.String(validate=validate.OneOf(partners.NEEDS)),
        "municipality": fields.String(
            validate=validate.Regexp(r"^\d{5}$", error="REFNIS code expected"),
            metadata={"description": "a municipality served (REFNIS code)"},
        ),
        "target_group": fields.String(validate=validate.OneOf(partners.TARGET_GROUPS)),
        "partner_type": fields.String(validate=validate.OneOf(partners.PARTNER_TYPES)),
    }


CRITERIA = tuple(search_fields())


class PartnerSearchSchema(Schema.from_dict(search_fields())):  # type: ignore[misc]
    """Search criteria: every one optional, all of them combined; need and target group are those of a service
    still offered."""

    class Meta:
        unknown = RAISE

    @validates("q")
    def _q(self, value: str, **_: Any) -> None:
        if not terms(value):
            raise ValidationError("give at least one letter or digit of the name")


def criteria(query: dict[str, Any]) -> dict[str, Any]:
    """The search criteria of a loaded query, as sent to the RPC."""
    return {name: query[name] for name in CRITERIA if query.get(name) is not None}


# -- answers --------------------------------------------------------------------------------------------
class ContactOutSchema(Schema):
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class PartnerServiceOutSchema(Schema):
    id = fields.String()
    partner_id = fields.String()
    title = fields.String()
    description = fields.String()
    needs = fields.List(fields.String())
    target_groups = fields.List(fields.String())
    conditions = fields.String(allow_none=True)
    contact = fields.Nested(ContactOutSchema)
    opening_hours = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    withdrawn_at = fields.DateTime(allow_none=True)
    withdrawn_by = fields.String(allow_none=True)


class PartnerOutSchema(Schema):
    id = fields.String()
    name = fields.String()
    enterprise_number = fields.String(allow_none=True)
    partner_type = fields.String()
    municipalities = fields.List(fields.String())
    contact = fields.Nested(ContactOutSchema)
    published = fields.Boolean()
    created_at = fields.DateTime()
    created_by = fields.String()
    version = fields.Integer()


class PartnerListedSchema(Schema):
    id = fields.String()
    name = fields.String()
    partner_type = fields.String()
    municipalities = fields.List(fields.String())
    published = fields.Boolean()
    services_offered = fields.Integer()
