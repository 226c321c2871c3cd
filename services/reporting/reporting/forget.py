"""A person erased by a Mission, InterMire's part: forget the pseudonym, keep the figures.

The Mission's erasure sends ``be.mire.beneficiary.forgotten.v1`` with the person's pseudonym under the
key InterMire knows them by. ``forget`` then, for that Mission only (another Mission that follows the
same person still holds them lawfully):

* keeps the pseudonym, and every earlier pseudonym a key rotation aliased to it, in ``sector_forgotten``
  (pseudonyms only, nothing else about the person);
* rewrites the person's facts from that Mission as statistical residue: the pseudonym becomes ``erased``,
  the event data is dropped, and the person key becomes a random key that names no one (as a Mission's
  own reporting does on erasure, ``reporting.application.erase``). Only the coded columns the figures
  are computed from remain, so every published table of every period, past or current, stays what it
  was; the one figure that can move is a sector-wide distinct count of a person also followed by
  another Mission, who now counts twice there (once as residue, once under the pseudonym);
* renames the person's entry for that Mission to the same anonymous key (the entries keep counting).

Facts that arrive later from that Mission about a forgotten pseudonym (a replay of old events, under
their own ids or new ones) are refused: acknowledged, not stored, counted in
``passerelle_sector_facts_refused_total``. The rule is the residue, not frozen tables: it holds for any
period anyone asks for, and needs no record of which tables were published.
"""

from __future__ import annotations

from sqlalchemy import select, update

from kit import metrics
from reporting import rekey
from reporting.ingest import anonymous_key
from reporting.models import SectorAlias, SectorEntry, SectorFact, SectorForgotten

ERASED = "erased"


def pseudonyms_of(session, pseudonym: str) -> set[str]:
    """The pseudonym InterMire now knows the person by, and every earlier one a rotation aliased to it."""
    current = rekey.resolve(session, pseudonym)
    earlier = session.scalars(select(SectorAlias.previous).where(SectorAlias.pseudonym == current)).all()
    return {pseudonym, current, *earlier}


def forget(session, mission: str, pseudonym: str, month: str) -> int:
    """Forget the person's pseudonym(s) for ``mission``, keeping the facts as residue; returns the facts rewritten.

    Idempotent: a second forget of the same person finds nothing left under the pseudonym.
    """
    names = pseudonyms_of(session, pseudonym)
    for name in names:
        session.merge(SectorForgotten(mission=mission, pseudonym=name, month=month))
    residue = anonymous_key()
    rewritten = session.execute(
        update(SectorFact)
        .where(SectorFact.mission == mission, SectorFact.pseudonym.in_(names))
        .values(pseudonym=ERASED, person=residue, data={})
    ).rowcount
    anonymous = f"{ERASED}-{residue:016x}"
    for entry in session.scalars(
        select(SectorEntry).where(SectorEntry.mission == mission, SectorEntry.pseudonym.in_(names))
    ).all():
        session.add(SectorEntry(mission=mission, pseudonym=anonymous, month=entry.month, age_band=entry.age_band))
        session.delete(entry)
    return rewritten or 0


def forgotten_among(session, mission: str, pseudonyms: set[str]) -> set[str]:
    """Which of these pseudonyms ``mission`` has erased (one query for a batch)."""
    if not pseudonyms:
        return set()
    return set(
        session.scalars(
            select(SectorForgotten.pseudonym).where(
                SectorForgotten.mission == mission, SectorForgotten.pseudonym.in_(pseudonyms)
            )
        ).all()
    )


def refuse(mission: str) -> None:
    metrics.SECTOR_FACTS_REFUSED.labels(mission=mission).inc()
