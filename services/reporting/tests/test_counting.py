"""The engine's tables against a count written the slow, obvious way (Python sets over the facts)."""

from __future__ import annotations

import numpy as np
import pytest
from reporting import catalogue as cat
from reporting.counting import expand_groups
from reporting.engine import Facts, table, tables
from reporting.periods import linked, parse

MISSIONS, BASINS = ("mirec", "mirena", "mirelw", "mirelux"), ("Charleroi", "Namur", "Liège", "Namur")


def random_facts(seed: int, n: int = 3000) -> Facts:
    """Facts over two years, every kind the catalogue counts, persons in several Missions and groups."""
    rng = np.random.default_rng(seed)
    person = rng.integers(1, 300, n) * 7919 + 2**61  # large keys, as the 63-bit hashes are
    columns = {
        "kind": rng.integers(1, len(cat.TYPES) + 1, n),
        "day": rng.choice([2024, 2025], n) * 10000 + rng.integers(1, 13, n) * 100 + rng.integers(1, 28, n),
        "person": person,
        "entity": rng.integers(1, 200, n),
        "tag": rng.integers(0, len(cat.TAG_VALUES), n),
        "gender": rng.integers(0, len(cat.GENDERS), n),
        "age": rng.integers(0, len(cat.AGE_BANDS), n),
        "groups": rng.integers(0, 1 << len(cat.TARGET_GROUPS), n) & rng.integers(0, 1 << len(cat.TARGET_GROUPS), n),
        "municipality": rng.choice([0, 52011, 53053, 92094], n),
        "mission": rng.integers(0, len(MISSIONS), n),
    }
    return Facts.from_columns(columns, missions=MISSIONS, basins=BASINS)


def slow_table(facts: Facts, ind: cat.Indicator, period, rows_dim, columns_dim):
    """(cells, row totals, column totals, total) as dicts, counted one fact at a time."""
    order = sorted(range(len(facts)), key=lambda i: (facts.person[i], facts.mission[i], facts.day[i], i))
    seen, chosen = set(), []
    for i in order:
        if cat.TYPES[facts.kind[i] - 1] not in ind.types:
            continue
        if ind.tag is not None and facts.tag[i] != cat.TAG_CODE[ind.tag]:
            continue
        if ind.first_only:
            if (facts.person[i], facts.mission[i]) in seen:
                continue
            seen.add((facts.person[i], facts.mission[i]))
        if period.first <= facts.month[i] <= period.last:
            chosen.append(i)
    municipalities = sorted(set(facts.municipality.tolist()))
    basins = sorted(set(facts.basins))

    def values(dimension, i):
        if dimension is None:
            return [0]
        if dimension == "target_group":
            g = int(facts.groups[i])
            return [b for b in range(len(cat.TARGET_GROUPS)) if g >> b & 1] or [len(cat.TARGET_GROUPS)]
        return [
            {
                "gender": lambda: facts.gender[i],
                "age_band": lambda: facts.age[i],
                "municipality": lambda: municipalities.index(facts.municipality[i]),
                "mission": lambda: facts.mission[i],
                "basin": lambda: basins.index(facts.basins[facts.mission[i]]),
            }[dimension]()
        ]

    unit = facts.unit(ind)
    cells, row_totals, column_totals, total = {}, {}, {}, {}

    def add(counter, key, i):
        if unit is None:
            counter[key] = counter.get(key, 0) + 1
        else:
            counter.setdefault(key, set()).add(int(unit[i]))

    for i in chosen:
        for r in values(rows_dim, i):
            add(row_totals, int(r), i)
            for c in values(columns_dim, i):
                add(cells, (int(r), int(c)), i)
        for c in values(columns_dim, i):
            add(column_totals, int(c), i)
        add(total, 0, i)
    counted = [{k: v if unit is None else len(v) for k, v in d.items()} for d in (cells, row_totals, column_totals)]
    return (*counted, (total.get(0, 0) if unit is None else len(total.get(0, ()))))


def as_dicts(t):
    cells = {(r, c): int(v) for (r, c), v in np.ndenumerate(t.cells) if v}
    rows = {r: int(v) for r, v in enumerate(t.row_totals) if v}
    columns = {c: int(v) for c, v in enumerate(t.column_totals) if v}
    return cells, rows, columns, t.total


GRIDS = [
    (None, None),
    ("mission", "target_group"),
    ("target_group", "gender"),
    ("basin", "municipality"),
    ("age_band", "mission"),
    (None, "target_group"),
]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_table_equals_the_count_one_fact_at_a_time(seed):
    facts = random_facts(seed)
    for ind in cat.INDICATORS:
        for label in ("2025", "2024-Q3", "2025-02"):
            for rows_dim, columns_dim in GRIDS:
                t = table(facts, ind, parse(label), rows_dim, columns_dim)
                expected = slow_table(facts, ind, parse(label), rows_dim, columns_dim)
                assert as_dicts(t) == expected, (ind.name, label, rows_dim, columns_dim)


def test_linked_periods_counted_together_equal_each_counted_alone():
    facts = random_facts(3)
    periods = linked(parse("2025"))  # months, quarters and the year: three kinds, each in one pass
    for ind in (cat.BY_NAME["people_accompanied"], cat.BY_NAME["dropouts"], cat.BY_NAME["conventions_signed"]):
        together = tables(facts, ind, periods, "mission", "target_group")
        for p, t in zip(periods, together, strict=True):
            alone = table(facts, ind, p, "mission", "target_group")
            assert t.period == p.label and as_dicts(t) == as_dicts(alone), (ind.name, p.label)


def test_target_groups_expand_to_one_pair_per_group_in_row_order():
    groups = np.array([0, 0b101, 1 << 8, 0b11, 0])
    pos, code = expand_groups(groups)
    assert pos.tolist() == [0, 1, 1, 2, 3, 3, 4]
    assert code.tolist() == [9, 0, 2, 8, 0, 1, 9]
    with pytest.raises(ValueError):
        expand_groups(np.array([1 << 9]))
