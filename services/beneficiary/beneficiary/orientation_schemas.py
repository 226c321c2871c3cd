"""marshmallow schemas of orientations out (``beneficiary.orientations``): what a form sends, what is answered."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from beneficiary import orientation_rules as rules
from kit import corrections


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # status, partner type and who made it are the service's, never the client's


class OrientationSchema(_Strict):
    """A counsellor orients the person to a partner's service."""

    service_id = fields.String(
        required=True,
        validate=validate.Length(1, 36),
        metadata={"description": "the partner's service, from the Mission's partner directory (still offered)"},
    )
    purpose = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "why the person is oriented there (kept in the file; shared only if agreed)"},
    )
    appointment_on = fields.Date(required=True, metadata={"description": "the appointment's date"})
    shared = fields.List(
        fields.String(validate=validate.OneOf(rules.SHARED)),
        load_default=list,
        validate=validate.Length(max=len(rules.SHARED)),
        metadata={"description": "what the person agrees may be passed to the partner (never notes)"},
    )
    consent = fields.Boolean(
        load_default=False,
        metadata={"description": "the person consents to that sharing: required when anything is shared"},
    )

    @validates_schema
    def _consented(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("shared") and data.get("consent") is not True:
            raise ValidationError("the person's consent is required to share anything with the partner", "consent")


class OutcomeSchema(_Strict):
    """The outcome of an orientation, recorded on the version read (409 if it changed since)."""

    outcome = fields.String(required=True, validate=validate.OneOf(rules.OUTCOMES))
    reason = fields.String(
        load_default=None,
        validate=validate.Length(1, 500),
        metadata={"description": "why it was not taken up (required then), or a word on the outcome"},
    )
    on = fields.Date(load_default=None, metadata={"description": "when it happened (default: today)"})
    version = corrections.version_field("orientation")

    @validates_schema
    def _reason_given(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("outcome") in rules.NEEDS_REASON and not (data.get("reason") or "").strip():
            raise ValidationError("say why the orientation was not taken up", "reason")


class OrientationOutSchema(Schema):
    id = fields.String()
    beneficiary_id = fields.String()
    episode = fields.Integer()
    plan_version = fields.Integer(allow_none=True)
    service_id = fields.String()
    partner_type = fields.String()
    purpose = fields.String()
    appointment_on = fields.Date()
    shared = fields.List(fields.String())
    consent = fields.Boolean()
    status = fields.String()
    made_by = fields.String()
    made_on = fields.Date()
    outcome_on = fields.Date(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    outcome_by = fields.String(allow_none=True)
    version = fields.Integer()
