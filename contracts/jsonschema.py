"""Payload classes of the contract as JSON Schema (draft-07, which AsyncAPI's schema format extends).

A small converter over ``msgspec.inspect`` for the kinds of field the
contract uses (strings, integers, booleans, dates, times, lists, string-keyed
maps, literals, nested records, lengths, ranges, patterns, nulls); anything
else is refused rather than guessed, so a new kind of field is noticed when
the files are generated. A field that may be left out (``UNSET``) is simply
not required.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec.inspect as mi

DRAFT = "http://json-schema.org/draft-07/schema#"


def _bounds(t: Any, out: dict[str, Any], low: str, high: str) -> None:
    if getattr(t, "min_length", None) is not None:
        out[low] = t.min_length
    if getattr(t, "max_length", None) is not None:
        out[high] = t.max_length


def _plain(t: mi.Type) -> dict[str, Any]:
    if isinstance(t, mi.DateType):
        return {"type": "string", "format": "date"}
    if isinstance(t, mi.DateTimeType):
        return {"type": "string", "format": "date-time"}
    if isinstance(t, mi.StrType):
        out: dict[str, Any] = {"type": "string"}
        _bounds(t, out, "minLength", "maxLength")
        if t.pattern is not None:
            out["pattern"] = t.pattern
        return out
    if isinstance(t, mi.BoolType):
        return {"type": "boolean"}
    if isinstance(t, mi.IntType):
        out = {"type": "integer"}
        for name, key in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
            if getattr(t, name) is not None:
                out[key] = getattr(t, name)
        return out
    if isinstance(t, mi.LiteralType):
        kinds = {type(v) for v in t.values}
        if kinds != {str}:
            raise TypeError(f"no JSON Schema mapping for literals of {kinds}")
        return {"type": "string", "enum": list(t.values)}
    if isinstance(t, mi.ListType):
        out = {"type": "array", "items": _field(t.item_type)}
        _bounds(t, out, "minItems", "maxItems")
        return out
    if isinstance(t, mi.DictType):
        if not isinstance(t.key_type, mi.StrType):
            raise TypeError("only string-keyed maps have a JSON Schema mapping")
        return {"type": "object", "additionalProperties": _field(t.value_type)}
    if isinstance(t, mi.StructType):
        return _object(t)
    raise TypeError(f"no JSON Schema mapping for {type(t).__name__}")


def _field(t: mi.Type) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if isinstance(t, mi.Metadata):
        extra, t = dict(t.extra_json_schema or {}), t.type
    nullable = False
    if isinstance(t, mi.UnionType):
        members = [m for m in t.types if not isinstance(m, mi.NoneType)]
        nullable = len(members) < len(t.types)
        if len(members) != 1:
            raise TypeError(f"no JSON Schema mapping for a union of {members}")
        t = members[0]
        if isinstance(t, mi.Metadata):
            extra, t = {**(t.extra_json_schema or {}), **extra}, t.type
    out = _plain(t)
    description = extra.pop("description", None)
    out.update(extra)
    if description:
        out["description"] = description
    if nullable:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _object(info: mi.StructType, only: Iterable[str] | None = None) -> dict[str, Any]:
    names = None if only is None else set(only)
    kept = [f for f in info.fields if names is None or f.name in names]
    return {
        "type": "object",
        "properties": {f.encode_name: _field(f.type) for f in kept},
        "required": [f.encode_name for f in kept if f.required],
        "additionalProperties": False,
    }


def object_schema(cls: type, only: Iterable[str] | None = None) -> dict[str, Any]:
    """An object with exactly the class's fields (``only`` narrows them); no other property allowed."""
    info = mi.type_info(cls)
    if not isinstance(info, mi.StructType):
        raise TypeError(f"{cls!r} is not a payload class")
    return _object(info, only)
