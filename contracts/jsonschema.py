"""marshmallow schemas of the contract as JSON Schema (draft-07, which AsyncAPI's schema format extends).

A small converter for the field kinds the contract uses (strings, integers,
dates, lists, enums, lengths, ranges, nulls); anything else is refused rather
than guessed, so a new kind of field is noticed when the files are generated.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

DRAFT = "http://json-schema.org/draft-07/schema#"


def _field(field: fields.Field) -> dict:
    if isinstance(field, fields.Date):
        out: dict = {"type": "string", "format": "date"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": _field(field.inner), "uniqueItems": True}
    else:
        raise TypeError(f"no JSON Schema mapping for {type(field).__name__}")
    for v in field.validators:
        if isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)
        elif isinstance(v, validate.Length):
            if v.min is not None:
                out["minLength"] = v.min
            if v.max is not None:
                out["maxLength"] = v.max
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Equal):
            out["const"] = v.comparable
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
        else:
            raise TypeError(f"no JSON Schema mapping for validator {type(v).__name__}")
    if field.metadata.get("description"):
        out["description"] = field.metadata["description"]
    if field.allow_none:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def object_schema(schema: Schema, only=None) -> dict:
    """An object with exactly the schema's fields (``only`` narrows them); no other property allowed."""
    names = [n for n in schema.fields if only is None or n in only]
    return {
        "type": "object",
        "properties": {n: _field(schema.fields[n]) for n in names},
        "required": [n for n in names if schema.fields[n].required],
        "additionalProperties": False,
    }
