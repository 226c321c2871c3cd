"""Search keys: names compared without accents, case or punctuation, the same on SQLite and PostgreSQL.

A key is computed in Python when a row is written (and by a migration for the rows already there), and a
query is normalised the same way, so the database only compares plain lower-case ASCII words with ``LIKE``:
no collation, extension or ``unaccent`` that would behave differently from one database to the other.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute

# Letters NFKD does not decompose, spelt as the field spells them.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# An apostrophe joins (D'Hondt is "dhondt"): "dhondt" and "d hondt" then both find it.
_APOSTROPHES = re.compile(r"['’ʼ`´]")
MAX_TERMS = 6


def search_key(*parts: str | None) -> str:
    """``"Éloïse", "Van den Bœuf"`` → ``"eloise van den boeuf"``: words of ``[a-z0-9]`` separated by one space.

    ``"N'Guessan"`` → ``"nguessan"``, ``"Jean-Marie"`` → ``"jean marie"``.
    """
    text = " ".join(p for p in parts if p).casefold().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain)).strip()


def terms(query: str | None) -> list[str]:
    """The words of a query, each to be found somewhere in a key (any order, part of a word allowed).

    Only ``[a-z0-9]`` survive, so a term can never carry a ``LIKE`` wildcard.
    """
    return search_key(query).split()[:MAX_TERMS]


def like_all(column: QueryableAttribute[str], query: str | None) -> list[ColumnElement[bool]]:
    """SQL conditions: every term of ``query`` is a substring of ``column`` (a search key)."""
    return [column.like(f"%{term}%") for term in terms(query)]
