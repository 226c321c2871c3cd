"""Reading the fact log with PostgreSQL's binary COPY (narrow columns packed into 64-bit words).

Runs against the PostgreSQL of ``PASSERELLE_TEST_POSTGRES`` in a scratch database; skipped without one.
"""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest
import sqlalchemy as sa
from reporting.engine import COLUMNS, fetch_codes, load_sector
from reporting.models import SectorFact

from kit.db import normalize_url
from kit.migrations import drop_database, upgrade

POSTGRES = os.environ.get("PASSERELLE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
SMALL, INT, BIG = (-(2**15), 2**15 - 1), (-(2**31), 2**31 - 1), (-(2**63), 2**63 - 1)


@pytest.fixture
def database():
    try:
        with sa.create_engine(normalize_url(f"{POSTGRES}/postgres")).connect():
            pass
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL to read from")
    url = f"{POSTGRES}/reporting_copy_{uuid.uuid4().hex[:8]}"
    upgrade("reporting", url)
    engine = sa.create_engine(normalize_url(url))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(url)


def extreme_rows():
    """Every column at both ends of its SQL type, at zero, and at values whose bits cross a word's halves."""
    rng = np.random.default_rng(11)

    def pick(bounds, i):
        return int(bounds[i % 2]) if i < 4 else int(rng.integers(bounds[0], bounds[1], endpoint=True))

    rows = []
    for i in range(40):
        rows.append(
            {
                "kind": pick(SMALL, i),
                "day": pick(INT, i),
                "person": pick(BIG, i),
                "entity": pick(BIG, i),
                "tag": pick(SMALL, i),
                "gender": pick(SMALL, i),
                "age": pick(SMALL, i),
                "groups": pick(INT, i),
                "municipality": pick(INT, i),
                "mission": ["mirec", "mirena", "elsewhere"][i % 3],
            }
        )
    rows.append({c: 0 for c in COLUMNS} | {"mission": "mirec"})
    return rows


def test_binary_copy_reads_every_value_as_stored(database):
    rows = extreme_rows()
    with sa.orm.Session(database) as session:
        for i, row in enumerate(rows):
            session.add(SectorFact(event_id=f"e{i}", type="t", pseudonym="p", month="2025-01", data={}, **row))
        session.commit()
    with database.connect() as conn, sa.orm.Session(bind=conn) as session:
        copied = fetch_codes(session, SectorFact, ["mirec", "mirena"])
        stored = session.execute(sa.select(*(getattr(SectorFact, c) for c in (*COLUMNS, "mission")))).all()
    names = (*COLUMNS, "mission")
    assert all(copied[c].dtype == np.int64 for c in names)
    got = sorted(zip(*(copied[c].tolist() for c in names), strict=True))
    index = {"mirec": 0, "mirena": 1}
    assert got == sorted((*r[:-1], index.get(r[-1], -1)) for r in stored)
    assert len(got) == len(rows)


def test_a_mission_missing_from_the_registry_is_named_from_the_facts(database):
    with sa.orm.Session(database) as session:
        for i, mission in enumerate(["mirec", "mirehuy", "mirec"]):
            session.add(
                SectorFact(event_id=f"e{i}", mission=mission, type="t", pseudonym="p", month="2025-01", data={})
            )
        session.commit()
    with database.connect() as conn, sa.orm.Session(bind=conn) as session:
        facts = load_sector(session, SectorFact, [("mirec", "Charleroi")])
    assert facts.missions == ("mirec", "mirehuy") and facts.basins == ("Charleroi", "unknown")
    assert facts.mission.tolist() == [0, 1, 0]
