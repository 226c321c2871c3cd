"""Data minimisation for InterMire: each sector event carries exactly what the indicator catalogue needs.

``reporting.catalogue.sector_needs`` derives, per sector event type, the fields some sector indicator reads
(its unit, date, qualifier and breakdowns) plus the family's envelope; the sector contract
(``contracts.sector``) must carry those and nothing more, and what the producers build must be the contract.
"""

from datetime import date
from types import SimpleNamespace

import pytest
from beneficiary import events as beneficiary_events
from reporting import catalogue as cat
from reporting import record

from contracts import sector
from contracts.catalogue import of_audience

SECTOR = of_audience("sector")
PERSON_TYPES = sorted(t for t, cls in SECTOR.items() if issubclass(cls, sector.Person))


def fields_of(cls) -> set[str]:
    return set(cls.__struct_fields__)


@pytest.mark.parametrize("event_type", sorted(SECTOR))
def test_every_sector_event_type_carries_exactly_what_the_catalogue_needs(event_type):
    assert event_type in cat.SECTOR_NEEDS, f"{event_type}: no indicator needs it, so no Mission should send it"
    assert fields_of(SECTOR[event_type]) == set(cat.SECTOR_NEEDS[event_type])


def test_every_sector_indicators_needs_are_carried():
    for ind in cat.CATALOGUE.for_mode("sector"):
        for t in ind.types:
            assert t in SECTOR, f"{ind.name} counts {t}, which the sector contract does not carry"
            assert ind.reads(t) <= fields_of(SECTOR[t]), (ind.name, t)
    assert set(cat.SECTOR_NEEDS) == set(SECTOR)


def test_the_derivation_follows_the_catalogue_not_a_list():
    # Drop the only indicator that breaks drop-outs down by anything: their sector form would need only
    # the envelope and the month, and no target group at all.
    lean = cat.Catalogue(
        indicators=tuple(i for i in cat.INDICATORS if i.name not in ("people_accompanied", "dropouts"))
    )
    assert cat.B + "dropped_out.v1" not in cat.sector_needs(lean)
    only_count = cat.Catalogue(
        indicators=(cat.Indicator("d", "D", cat.ACTS, (cat.B + "dropped_out.v1",), "", dimensions=("mission",)),)
    )
    assert cat.sector_needs(only_count)[cat.B + "dropped_out.v1"] == {"pseudonym", "pseudonym_key", "month"}
    assert cat.sector_target_groups(cat.B + "dropped_out.v1", only_count) == frozenset()


def test_a_sector_fact_is_dated_by_a_field_its_date_rule_reads_and_never_by_a_day():
    for ind in cat.CATALOGUE.for_mode("sector"):
        for t in ind.types:
            field = cat.SECTOR_DATES.get(t, cat.SECTOR_DATE)
            assert field in ind.date_rule[t], (t, field)
            if t in SECTOR:
                assert SECTOR[t].__annotations__.get(field, "Month") != "Day", t


def test_special_categories_travel_only_where_an_indicator_names_their_legal_basis():
    bases = cat.legal_bases()
    assert set(bases) <= set(cat.SPECIAL_CATEGORIES)
    assert all(text.strip() for by_indicator in bases.values() for text in by_indicator.values())
    for t in PERSON_TYPES:
        allowed = cat.sector_target_groups(t)
        assert sector.TARGET_GROUPS == allowed, t
        for group in cat.SPECIAL_CATEGORIES:
            counted_by = [i.name for i in cat.CATALOGUE.for_mode("sector") if t in i.types]
            named = any(group == g for i in cat.CATALOGUE.for_mode("sector") if t in i.types for g, _ in i.legal_bases)
            assert (group in allowed) == named, (t, group, counted_by)
    # today: disability under the funders' reporting basis; a justice measure never leaves the Mission
    assert "disability" in sector.TARGET_GROUPS and "justice_measure" not in sector.TARGET_GROUPS
    assert set(cat.TARGET_GROUPS) - sector.TARGET_GROUPS == {"justice_measure"}


def _person():
    return SimpleNamespace(
        id="b-1",
        pseudonym="p" * 32,
        pseudonym_key="k1",
        gender="F",
        municipality="52011",
        birth_date=date(1990, 3, 4),
        registered_on=date(2026, 3, 10),
        referrer_type="cpas",
    )


def test_what_the_beneficiary_service_sends_inter_mire_is_the_needs_and_no_justice_measure():
    person = _person()
    groups = [SimpleNamespace(group=g) for g in ("justice_measure", "disability", "single_parent")]
    pub = beneficiary_events.EventBuilder("/missions/mirec/beneficiary", person, groups)
    contract = SimpleNamespace(
        signed_on=date(2026, 5, 4),
        checked_on=date(2026, 11, 20),
        check_source="declaration",
        still_employed=True,
        contract_type="permanent",
        hours_per_week=38,
        employer_id="e-1",
        check_due=date(2026, 11, 4),
        workplace_municipality=None,
    )
    built = [
        *beneficiary_events.registered(pub)[0],
        *beneficiary_events.stage_changed(pub, "accueil", "orientation", "forward", date(2026, 4, 2)),
        *beneficiary_events.dropped_out(pub, "formation", "health", date(2026, 4, 20))[0],
        *beneficiary_events.contract_signed(pub, contract)[0],
        *beneficiary_events.six_month_outcome(pub, contract)[0],
        *beneficiary_events.six_month_outcome(pub, SimpleNamespace(**{**vars(contract), "still_employed": False}))[0],
        *beneficiary_events.exited(pub, "durable_employment", date(2026, 12, 1)),
        *beneficiary_events.reopened(pub, SimpleNamespace(number=2, started_on=date(2027, 1, 4)))[0],
        *beneficiary_events.erased(pub, date(2027, 1, 5)),
        beneficiary_events.pseudonym_rekeyed("/missions/mirec/beneficiary", "q" * 32, person),
    ]
    sent = [e for e in built if e.audience == "sector"]
    assert sorted({e.type for e in sent}) == sorted(t for t in SECTOR if t.startswith(cat.B))
    for event in sent:
        assert set(event.data) == cat.SECTOR_NEEDS[event.type], event.type
        assert "on" not in event.data and "reason" not in event.data or event.type == cat.B + "exited.v1"
        if "target_groups" in event.data:
            assert event.data["target_groups"] == ["disability", "single_parent"]
    # the six-month check is dated by the check, as the indicator dates it
    outcome = next(e for e in sent if e.type == cat.B + "employment_confirmed_6m.v1")
    assert outcome.data["month"] == "2026-11"
    # the Mission's own services still see every group (the internal form)
    internal = next(e for e in built if e.audience == "internal" and e.type == cat.B + "registered.v1")
    assert internal.data["target_groups"] == ["disability", "justice_measure", "single_parent"]


def test_inter_mire_keeps_only_the_needs_of_what_an_older_mission_still_sends():
    old = {
        "pseudonym": "p" * 32,
        "pseudonym_key": "k1",
        "gender": "M",
        "municipality": "52011",
        "age_band": "25_to_49",
        "target_groups": ["justice_measure", "low_qualification"],
        "stage": "formation",
        "reason": "health",
        "on": "2026-04-20",
        "month": "2026-04",
    }
    kept = cat.minimal(cat.B + "dropped_out.v1", old)
    assert kept is not None and set(kept) == cat.SECTOR_NEEDS[cat.B + "dropped_out.v1"]
    assert kept["target_groups"] == ["low_qualification"]
    assert cat.minimal("be.mire.employer.registered.v1", {"employer_id": "e", "nace": "41"}) is None


def test_the_record_of_processing_lists_every_field_that_travels_and_is_up_to_date():
    text = record.DOCUMENT.read_text()
    assert record.rewritten(text) == text, "run: python -m reporting.record"
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `be.mire.")}
    assert set(rows) == set(SECTOR)
    for event_type, cls in SECTOR.items():
        listed = {f.strip(" `") for f in rows[event_type].split("|")[2].split(",")}
        assert listed == fields_of(cls), event_type
    for group in cat.SPECIAL_CATEGORIES:
        line = next(x for x in text.splitlines() if x.startswith(f"| `{group}` |"))
        assert ("| yes, for" in line) == (group in sector.TARGET_GROUPS), line
    assert "record-of-processing.md" in (record.DOCUMENT.parents[1] / "README.md").read_text()


def test_a_field_the_record_does_not_describe_cannot_be_rendered(monkeypatch):
    monkeypatch.setattr(cat, "SECTOR_NEEDS", {**cat.SECTOR_NEEDS, cat.B + "exited.v1": frozenset({"on"})})
    with pytest.raises(ValueError, match="'on'"):
        record.render()
