"""marshmallow schemas of the employer service's RPC payloads."""

from marshmallow import Schema, ValidationError, fields, validate, validates
from stdnum.be import vat
from stdnum.exceptions import ValidationError as NumberError

from kit.reference import municipality


class EmployerIntakeSchema(Schema):
    enterprise_number = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    nace = fields.String(required=True, validate=validate.Regexp(
        r"^\d{2}(\.?\d{1,3})?$", error="NACE-BEL code expected, e.g. 43.221"))
    municipality = fields.String(required=True)

    @validates("enterprise_number")
    def _bce(self, value, **kwargs):
        try:
            vat.validate(value)
        except NumberError:
            raise ValidationError("not a valid Belgian enterprise number (BCE/KBO)") from None

    @validates("municipality")
    def _municipality(self, value, **kwargs):
        if municipality(value) is None:
            raise ValidationError("unknown municipality (REFNIS code expected)")


class EmployerSchema(Schema):
    id = fields.String()
    enterprise_number = fields.String()
    name = fields.String()
    nace = fields.String()
    municipality = fields.String()
