"""marshmallow schemas of the beneficiary service's RPC payloads."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from stdnum.be import nn
from stdnum.exceptions import ValidationError as NumberError

from kit.reference import municipality


class IntakeSchema(Schema):
    niss = fields.String(required=True)
    first_name = fields.String(required=True, validate=validate.Length(1, 100))
    last_name = fields.String(required=True, validate=validate.Length(1, 100))
    birth_date = fields.Date(required=True)
    gender = fields.String(required=True, validate=validate.OneOf(["F", "M", "X"]))
    municipality = fields.String(required=True)
    registered_on = fields.Date(load_default=None)

    @validates("niss")
    def _niss(self, value, **kwargs):
        try:
            nn.validate(value)
        except NumberError:
            # Never echo the number back: error messages reach logs.
            raise ValidationError("not a valid Belgian national register number") from None

    @validates("municipality")
    def _municipality(self, value, **kwargs):
        if municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected, e.g. 52011 for Charleroi)")

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


class BeneficiarySchema(Schema):
    id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    gender = fields.String()
    municipality = fields.String()
    registered_on = fields.Date()
