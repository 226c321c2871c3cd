"""InterMire's side of a sector key rotation (``reporting.rekey``): aliases, chains, entries, the engine's mapping."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from reporting import rekey
from reporting.engine import load_sector, remap
from reporting.ingest import key64
from reporting.models import SectorAlias, SectorEntry, SectorFact
from sqlalchemy.orm import Session

from kit.migrations import upgrade


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path}/reporting.sqlite"
    upgrade("reporting", url)
    engine = sa.create_engine(url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_remap_replaces_only_what_it_knows():
    values = np.array([5, 1, 9, 1, 0, 7], dtype=np.int64)
    got = remap(values, np.array([9, 1], dtype=np.int64), np.array([90, 10], dtype=np.int64))
    assert got.tolist() == [5, 10, 90, 10, 0, 7]
    assert remap(values, np.array([], dtype=np.int64), np.array([], dtype=np.int64)) is values


def test_aliases_chain_move_entries_and_are_idempotent(session):
    session.add_all(
        [
            SectorEntry(mission="mirec", pseudonym="a" * 32, month="2026-01", age_band="25-44"),
            SectorEntry(mission="mirena", pseudonym="b" * 32, month="2026-02", age_band="25-44"),
        ]
    )
    session.flush()
    rekey.record(session, "a" * 32, "b" * 32, "k2")  # MIREC rekeyed the person MIRENA already has under k2
    rekey.record(session, "a" * 32, "b" * 32, "k2")  # the same pair from another Mission: nothing more
    session.flush()
    entries = sorted((e.mission, e.pseudonym) for e in session.scalars(sa.select(SectorEntry)))
    assert entries == [("mirec", "b" * 32), ("mirena", "b" * 32)]
    # A second rotation: the first alias follows to the end of the chain.
    rekey.record(session, "b" * 32, "c" * 32, "k3")
    session.flush()
    aliases = {a.previous: (a.pseudonym, a.person) for a in session.scalars(sa.select(SectorAlias))}
    assert aliases == {"a" * 32: ("c" * 32, key64("c" * 32)), "b" * 32: ("c" * 32, key64("c" * 32))}
    assert rekey.resolve(session, "a" * 32) == "c" * 32 and rekey.resolve(session, "d" * 32) == "d" * 32
    assert {e.pseudonym for e in session.scalars(sa.select(SectorEntry))} == {"c" * 32}


def test_the_engine_counts_a_person_once_across_two_keys(session):
    def fact(n, pseudonym):
        return SectorFact(
            event_id=f"e{n}",
            mission="mirec",
            type="be.mire.beneficiary.registered.v1",
            pseudonym=pseudonym,
            month="2026-01",
            data={},
            person=key64(pseudonym),
        )

    session.add_all([fact(1, "a" * 32), fact(2, "b" * 32), fact(3, "z" * 32)])
    session.flush()
    before = load_sector(session, SectorFact, [("mirec", "Charleroi")], rekey.person_aliases(session))
    assert len(set(before.person.tolist())) == 3
    rekey.record(session, "a" * 32, "b" * 32, "k2")
    session.flush()
    old, new = rekey.person_aliases(session)
    assert old.tolist() == [key64("a" * 32)] and new.tolist() == [key64("b" * 32)]
    after = load_sector(session, SectorFact, [("mirec", "Charleroi")], (old, new))
    assert sorted(set(after.person.tolist())) == sorted({key64("b" * 32), key64("z" * 32)})
    # The log itself is kept as received.
    assert sorted(session.scalars(sa.select(SectorFact.pseudonym))) == ["a" * 32, "b" * 32, "z" * 32]
