"""marshmallow schemas of referrals in (``beneficiary.referrals``): what a partner sends, what the Mission answers.

Error messages never repeat the value they refuse (it may be a national number).
"""

from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from beneficiary import enums
from beneficiary.schemas import _identity_number
from kit.reference import municipality

REFERRAL_STATUSES = ("received", "accepted", "declined")
PHONE = validate.Regexp(r"^\+?[0-9 ./-]{8,20}$", error="not a phone number")


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # the partner, the organisation and the status are never the sender's to set


class ReferralSchema(_Strict):
    """A partner's referral: who, why, and the person's consent to being referred (required)."""

    niss = fields.String(
        load_default=None, metadata={"description": "national register or BIS number, if the partner knows it"}
    )
    first_name = fields.String(required=True, validate=validate.Length(1, 100))
    last_name = fields.String(required=True, validate=validate.Length(1, 100))
    birth_date = fields.Date(required=True)
    municipality = fields.String(required=True, metadata={"description": "REFNIS code of where the person lives"})
    phone = fields.String(load_default=None, validate=PHONE)
    email = fields.Email(load_default=None)
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 1000),
        metadata={"description": "why the person is referred: what they look for, what the partner saw"},
    )
    target_groups = fields.List(
        fields.String(validate=validate.OneOf(list(enums.TARGET_GROUPS))),
        load_default=list,
        validate=validate.Length(max=len(enums.TARGET_GROUPS)),
        metadata={"description": "the target groups the partner knows the person belongs to"},
    )
    consent = fields.Boolean(
        required=True,
        error_messages={"required": "the person's consent to being referred is required"},
        metadata={"description": "the person agreed to being referred to the Mission (must be true)"},
    )

    @validates("niss")
    def _niss(self, value, **kwargs):
        if value is not None:
            _identity_number(value)

    @validates("municipality")
    def _municipality(self, value, **kwargs):
        if municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")

    @validates("consent")
    def _consent(self, value, **kwargs):
        if value is not True:
            raise ValidationError("the person's consent to being referred is required")

    @validates("birth_date")
    def _born(self, value, **kwargs):
        today = date.today()
        if value > today:
            raise ValidationError("birth date is in the future")
        if value.year < today.year - 100:
            raise ValidationError("birth date is more than 100 years ago")

    @validates_schema
    def _contact(self, data, **kwargs):
        if not data.get("phone") and not data.get("email"):
            raise ValidationError(
                "a phone number or an e-mail address, so that the Mission can reach the person", "phone"
            )


class ReferralAcceptSchema(_Strict):
    """Accepting: the intake as the counsellor completes it. Whatever is left out is taken from the referral,
    and the whole is then loaded as an intake (``IntakeSchema``: every intake rule applies). Never the
    referrer: the file records the partner that referred, not what a form says. No defaults here, so that
    a field left out keeps what the partner gave."""

    identity = fields.String(validate=validate.OneOf(["number", enums.PROVISIONAL]))
    niss = fields.String(allow_none=True)
    confirmed_other_person = fields.Boolean()
    first_name = fields.String(validate=validate.Length(1, 100))
    last_name = fields.String(validate=validate.Length(1, 100))
    birth_date = fields.Date()
    gender = fields.String(validate=validate.OneOf(["F", "M", "X"]))
    municipality = fields.String()
    registered_on = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True, validate=PHONE)
    email = fields.Email(allow_none=True)
    target_groups = fields.List(fields.Dict())
    disclosures = fields.List(fields.Dict())
    # Asked at the same time: whether the person agrees that the partner be told where they stand.
    inform_referrer = fields.Boolean()


class ReferralDeclineSchema(_Strict):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "why the Mission declines: the partner reads it"},
    )


class ReferrerConsentSchema(_Strict):
    """Whether the person agrees that the partner who referred them be told where they stand."""

    inform_referrer = fields.Boolean(required=True)


class ReferralListSchema(_Strict):
    status = fields.String(load_default=None, validate=validate.OneOf(REFERRAL_STATUSES))
