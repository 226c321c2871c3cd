"""Orientations to partners in the catalogue: their facts coded by partner type and outcome, counted by both."""

from __future__ import annotations

import numpy as np
from reporting import catalogue as cat
from reporting.engine import COLUMNS, Facts, breakdown, table
from reporting.ingest import codes
from reporting.periods import parse


def fact(event_type: str, person: str, **data) -> dict:
    return codes(event_type, {"beneficiary_id": person, **data}, "2026-12-07T10:00:00Z", person, sector=False)


def facts_of(rows: list[dict]) -> Facts:
    return Facts.from_columns({c: np.array([r[c] for r in rows], dtype=np.int64) for c in COLUMNS})


def test_an_orientation_fact_carries_its_partner_type_and_outcome_in_its_qualifier():
    made = fact(cat.ORIENTATION_MADE, "p1", partner_type="cpas", made_on="2026-11-30")
    assert made["kind"] == cat.TYPE_CODE[cat.ORIENTATION_MADE] and made["day"] == 20261130
    assert made["tag"] == cat.orientation_tag("cpas") == 1
    done = fact(cat.ORIENTATION_OUTCOME, "p1", partner_type="union", outcome="not_taken_up", on="2026-12-02")
    assert done["tag"] == 3 << cat.PARTNER_TYPE_BITS | 8 and done["day"] == 20261202
    # a partner type or an outcome this catalogue does not know yet counts as unknown, not as another one
    assert cat.orientation_tag("a_new_kind", "postponed") == 0
    assert len(cat.PARTNER_TYPES) < 1 << cat.PARTNER_TYPE_BITS


def test_orientations_and_outcomes_are_counted_by_partner_type_and_outcome():
    rows = [
        fact(cat.ORIENTATION_MADE, "p1", partner_type="cpas", made_on="2026-11-03"),
        fact(cat.ORIENTATION_MADE, "p1", partner_type="oisp", made_on="2026-11-04"),
        fact(cat.ORIENTATION_MADE, "p2", partner_type="cpas", made_on="2026-11-05"),
        fact(cat.ORIENTATION_MADE, "p3", partner_type="mystery", made_on="2026-11-05"),
        fact(cat.ORIENTATION_OUTCOME, "p1", partner_type="cpas", outcome="attended", on="2026-11-10"),
        fact(cat.ORIENTATION_OUTCOME, "p1", partner_type="cpas", outcome="done", on="2026-11-20"),
        fact(cat.ORIENTATION_OUTCOME, "p2", partner_type="cpas", outcome="not_taken_up", on="2026-11-21"),
        fact(cat.ORIENTATION_OUTCOME, "p1", partner_type="oisp", outcome="cancelled", on="2026-12-01"),
        # another kind of fact with a large qualifier (a correction's version) is not an orientation
        fact(cat.CORRECTED, "p1", version=700, on="2026-11-06"),
    ]
    facts = facts_of(rows)
    made, outcomes = cat.BY_NAME["orientations"], cat.BY_NAME["orientation_outcomes"]
    november = parse("2026-11")
    by_type = breakdown(facts, made, november, cat.PARTNER_TYPE)
    assert by_type == {"total": 4, "cells": {"cpas": 2, "oisp": 1, "unknown": 1}}
    assert breakdown(facts, outcomes, november, cat.OUTCOME) == {
        "total": 3,
        "cells": {"attended": 1, "done": 1, "not_taken_up": 1},
    }
    cross = table(facts, outcomes, parse("2026"), cat.PARTNER_TYPE, cat.OUTCOME)
    cpas, oisp = cross.row_labels.index("cpas"), cross.row_labels.index("oisp")
    assert list(cross.cells[cpas][:4]) == [1, 1, 1, 0] and list(cross.cells[oisp][:4]) == [0, 0, 0, 1]
    assert cross.total == 4


def test_orientations_stay_in_the_mission():
    for name in ("orientations", "orientation_outcomes"):
        assert cat.BY_NAME[name].modes == ("mission",)
    assert not set(cat.ORIENTATION_FACTS) & set(cat.SECTOR_NEEDS)
    assert cat.VERSION >= max(i.since_version for i in cat.INDICATORS)
