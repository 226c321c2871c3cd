"""From an event to the codes of its fact row: a pure function of the event and the catalogue.

The handlers store these codes beside the raw event data, and a replay of the
same events (in any order) rebuilds the same rows, hence the same figures.
Persons and entities are kept as 63-bit keys: a keyed hash of the reference
(a beneficiary id in a Mission, the sector pseudonym at InterMire), so that
counting distinct persons needs no join and no lookup table.
"""

from __future__ import annotations

import hashlib
import secrets

from reporting import catalogue as cat

_GENDER = {g: i for i, g in enumerate(cat.GENDERS)}
_AGE = {a: i for i, a in enumerate(cat.AGE_BANDS)}
_GROUP_BIT = {g: 1 << i for i, g in enumerate(cat.TARGET_GROUPS)}
_MASK63 = (1 << 63) - 1


def key64(reference: str | None) -> int:
    """A stable 63-bit key for a reference (0 for none); collisions are ~1e-7 at a million persons."""
    if not reference:
        return 0
    return int.from_bytes(hashlib.blake2b(reference.encode(), digest_size=8).digest(), "big") & _MASK63 or 1


def anonymous_key() -> int:
    """A key that names no one: an erased person's facts keep counting, linked to nothing."""
    return secrets.randbits(63) or 1


def day_of(event_type: str, data: dict, time: str) -> int:
    for field in cat.FACT_DATES.get(event_type, cat.DEFAULT_DATES):
        value = data.get(field)
        if isinstance(value, str) and len(value) >= 7 and value[:4].isdigit() and value[5:7].isdigit():
            day = value[8:10] if len(value) >= 10 and value[8:10].isdigit() else "01"
            return int(value[:4] + value[5:7] + day)
    return int(time[:4] + time[5:7] + time[8:10])


def groups_mask(groups) -> int:
    mask = 0
    for group in groups or ():
        mask |= _GROUP_BIT.get(group, 0)
    return mask


def municipality_code(value) -> int:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 9 else 0


def codes(event_type: str, data: dict, time: str, subject: str | None, *, sector: bool) -> dict:
    """The coded columns of a fact row for one event (``reporting.models._Coded``)."""
    kind = cat.TYPE_CODE.get(event_type, 0)
    if sector:
        person = data.get("pseudonym") if event_type.startswith(cat.B) else None
    else:
        person = data.get("beneficiary_id") or (subject if event_type.startswith(cat.B) else None)
    entity = (
        data.get("vacancy_id")
        or data.get("convention_id")
        or data.get("proposal_id")
        or data.get("employer_id")
        or subject
    )
    tag_field = cat.TAGS.get(event_type)
    tag = cat.TAG_CODE.get(data.get(tag_field[0]) or tag_field[1], 0) if tag_field else 0
    if event_type in cat.ORIENTATION_FACTS:
        tag = cat.orientation_tag(data.get("partner_type"), data.get("outcome"))
    if event_type == cat.CORRECTED:
        # A correction's qualifier is the version it made: of two corrections on one day, the later wins.
        tag = min(int(data.get("version") or 0), 32767)
    return {
        "kind": kind,
        "day": day_of(event_type, data, time),
        "person": key64(person),
        "entity": key64(entity),
        "tag": tag,
        "gender": _GENDER.get(data.get("gender"), 0),
        "age": _AGE.get(data.get("age_band"), 0),
        "groups": groups_mask(data.get("target_groups")),
        "municipality": municipality_code(data.get("municipality")),
    }
