"""Sector key rotation, InterMire's part: keep counting a person once across pseudonyms of two keys.

InterMire holds no key. A Mission that re-derives a person's pseudonym under the new key tells it
``previous → pseudonym`` (``be.mire.beneficiary.pseudonym_rekeyed.v1``). ``record`` keeps the pair in
``sector_alias`` (a chain of rotations resolved to its end) and moves the person's entries to the new
pseudonym; entries that arrive later under the old one are stored under the new one (``resolve``). The
fact log is left as received, so any past period still recomputes from the events: the engine maps the
person keys through the aliases when it loads the log (``reporting.engine.load_sector``), and the
distinct counts of ``sector_indicators`` join the aliases the same way.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select, update

from reporting.ingest import key64
from reporting.models import SectorAlias, SectorEntry


def resolve(session, pseudonym: str) -> str:
    """The pseudonym a person now has at InterMire (itself unless a rotation renamed it)."""
    alias = session.get(SectorAlias, pseudonym)
    return alias.pseudonym if alias is not None else pseudonym


def record(session, previous: str, pseudonym: str, key: str) -> None:
    """``previous`` now reads ``pseudonym``; idempotent, and the same pair from another Mission is a no-op."""
    pseudonym = resolve(session, pseudonym)
    if not previous or previous == pseudonym or session.get(SectorAlias, previous) is not None:
        return
    session.add(
        SectorAlias(
            previous=previous, pseudonym=pseudonym, previous_person=key64(previous), person=key64(pseudonym), key=key
        )
    )
    # An earlier rotation's aliases that ended at ``previous`` end at the new pseudonym now.
    session.execute(
        update(SectorAlias)
        .where(SectorAlias.pseudonym == previous)
        .values(pseudonym=pseudonym, person=key64(pseudonym))
    )
    for entry in session.scalars(select(SectorEntry).where(SectorEntry.pseudonym == previous)).all():
        if session.get(SectorEntry, (entry.mission, pseudonym)) is None:
            session.add(
                SectorEntry(mission=entry.mission, pseudonym=pseudonym, month=entry.month, age_band=entry.age_band)
            )
        session.delete(entry)


def person_aliases(session) -> tuple[np.ndarray, np.ndarray]:
    """(previous person keys, person keys) for the engine."""
    rows = session.execute(select(SectorAlias.previous_person, SectorAlias.person)).all()
    data = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    return np.ascontiguousarray(data[:, 0]), np.ascontiguousarray(data[:, 1])
