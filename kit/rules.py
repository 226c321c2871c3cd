"""The one way a service's domain rules say no: ``Refused``, naming the field and why.

Domain modules (``<service>/domain.py``) raise it from plain functions of plain values; the application
layer turns it into the field-level ``kit.errors.ValidationFailed`` callers see
(``kit.application.refused_as_field_errors``). Kept apart from ``kit.errors`` so that a domain module
imports nothing of nameko.
"""


class Refused(ValueError):
    """A change the rules do not allow: ``field`` is what it is about, ``message`` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(field, message)
        self.field, self.message = field, message
