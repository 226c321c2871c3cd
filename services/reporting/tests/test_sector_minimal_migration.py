"""Migration 0010: what InterMire logged before the sector contract was cut is cut to the catalogue's needs."""

import json

import sqlalchemy as sa
from alembic import command
from reporting import catalogue as cat

from kit.migrations import alembic_config, upgrade

B = cat.B
JUSTICE = 1 << cat.TARGET_GROUPS.index("justice_measure")
DISABILITY = 1 << cat.TARGET_GROUPS.index("disability")


def test_old_sector_facts_keep_only_the_needs_and_no_justice_measure(tmp_path):
    url = f"sqlite:///{tmp_path / 'intermire.db'}"
    command.upgrade(alembic_config("reporting", url), "0008")
    person = {
        "pseudonym_key": "k1",
        "gender": "F",
        "municipality": "52011",
        "age_band": "25_to_49",
        "target_groups": ["disability", "justice_measure"],
    }
    rows = [
        ("e1", B + "registered.v1", {**person, "registered_month": "2025-03"}, JUSTICE | DISABILITY),
        (
            "e2",
            B + "employment_confirmed_6m.v1",
            {**person, "signed_on": "2025-04-02", "checked_on": "2025-10-20", "source": "dimona", "month": "2025-04"},
            JUSTICE | DISABILITY,
        ),
        (
            "e3",
            B + "dropped_out.v1",
            {**person, "stage": "formation", "reason": "health", "on": "2025-05-09", "month": "2025-05"},
            JUSTICE,
        ),
        ("e4", "be.mire.employer.registered.v1", {"employer_id": "x", "nace": "41", "registered_month": "2025-01"}, 0),
    ]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for event_id, kind, data, groups in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO sector_fact (event_id, mission, type, pseudonym, month, data, kind, day, person, "
                    "entity, tag, gender, age, groups, municipality) VALUES (:e, 'mirec', :t, 'p', '2025-01', :d, "
                    "1, 20250101, 7, 0, 0, 1, 2, :g, 52011)"
                ),
                {"e": event_id, "t": kind, "d": json.dumps(data), "g": groups},
            )
    upgrade("reporting", url)
    with engine.connect() as conn:
        got = {r[0]: (r[1], r[2]) for r in conn.execute(sa.text("SELECT event_id, data, groups FROM sector_fact"))}
    engine.dispose()
    load = json.loads
    assert set(got) == {"e1", "e2", "e3"}  # a type no indicator counts is gone
    for event_id, kind, _, _ in rows[:3]:
        data, groups = load(got[event_id][0]), got[event_id][1]
        assert set(data) | {"pseudonym"} == cat.SECTOR_NEEDS[kind], kind
        assert "justice_measure" not in data["target_groups"] and not groups & JUSTICE
    assert got["e1"][1] == DISABILITY and got["e3"][1] == 0
    assert load(got["e2"][0])["month"] == "2025-10"  # the check's month, as the outcome is dated
