"""A Mission's erasure at InterMire (``reporting.forget``), on the service class over a migrated SQLite:
the pseudonym's facts and entry from that Mission are gone, the tables stay as they were, and a replay
of the person's old events (new ids or the same) is refused and counted."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from reporting import forget, rekey
from reporting.models import SectorEntry, SectorFact, SectorForgotten
from reporting.sector import SectorReportingService
from reporting_events import sector_fact
from sqlalchemy.orm import Session

from contracts import sector as contract
from contracts.envelope import make_event
from kit import metrics
from kit.actor import Actor
from kit.testing import migrate, worker
from kit.work import Deadline

PERSON, OLD = "p" * 32, "o" * 32
GENDERS = ("F", "M")


class InterMire:
    def __init__(self, tmp_path):
        self.code = "intermire-" + uuid.uuid4().hex[:8]  # the in-process caches are per site: one per test
        self.store = migrate("reporting", f"sqlite:///{tmp_path}/reporting-{self.code}.sqlite")
        self.service = worker(
            SectorReportingService,
            self.store,
            Actor("ian.analyst", "intermire", ("intermire_analyst",)),
            site=self.code,
            kind="intermire",
            mission="intermire",
            handler="reporting.on_sector_fact",
            budget=Deadline(),
        )

    def facts(self, *events):
        self.service.on_sector_fact(list(events))

    def registered(self, event):
        self.service.on_sector_beneficiary_registered(event)

    def rows(self, model, **where):
        with Session(self.store.engine) as s:
            return s.scalars(sa.select(model).filter_by(**where)).all()

    def table(self):
        return self.service.sector_table("people_accompanied", "2026", "gender")


@pytest.fixture
def intermire(tmp_path):
    site = InterMire(tmp_path)
    yield site
    site.store.engine.dispose()


def path_of(pseudonym: str, mission: str, n: int) -> list:
    """A person's registration and a step along the path, as the Mission sent them."""
    gender = GENDERS[n % 2]
    month = f"2026-0{1 + n % 6}"
    registered = sector_fact("registered", pseudonym, mission, month, gender=gender)
    registered.data["registered_month"] = month
    return [registered, sector_fact("stage_changed", pseudonym, mission, month, gender=gender)]


def forgotten(pseudonym: str, mission: str = "mirec"):
    return make_event(
        source=f"/missions/{mission}/beneficiary",
        type=contract.BeneficiaryForgottenV1.TYPE,
        audience="sector",
        subject=pseudonym,
        data={"pseudonym": pseudonym, "pseudonym_key": "k1", "erased_month": "2026-11"},
    )


def again(event):
    """The same event republished under a new id (a replay the inbox cannot recognise)."""
    return make_event(
        source=event.source, type=event.type, audience="sector", subject=event.subject, data=dict(event.data)
    )


def refused(mission: str = "mirec") -> float:
    return metrics.SECTOR_FACTS_REFUSED.labels(mission=mission)._value.get()


def test_erasure_forgets_the_pseudonym_keeps_the_figures_and_refuses_a_replay(intermire):
    crowd = [e for n in range(24) for e in path_of(f"{n:032d}", ("mirec", "mirena")[n % 2], n)]
    person = path_of(PERSON, "mirec", 0)
    elsewhere = path_of(PERSON, "mirena", 1)  # MIRENA follows the person too, and keeps them
    for event in (*crowd, *person, *elsewhere):  # the entries (one inbox here: before the fact log)
        if event.type == contract.BeneficiaryRegisteredV1.TYPE:
            intermire.registered(again(event))
    intermire.facts(*crowd, *person, *elsewhere)
    table, indicators = intermire.table(), intermire.service.sector_indicators()
    assert table["sector"]["total"] is not None and table["missions"]["mirec"]["total"] is not None

    intermire.facts(forgotten(PERSON))

    assert [f.mission for f in intermire.rows(SectorFact, pseudonym=PERSON)] == ["mirena", "mirena"]
    assert [e.mission for e in intermire.rows(SectorEntry, pseudonym=PERSON)] == ["mirena"]
    residue = intermire.rows(SectorFact, pseudonym=forget.ERASED)
    assert len(residue) == 2 and all(f.data == {} and f.mission == "mirec" for f in residue)
    assert len({f.person for f in residue}) == 1  # still one (anonymous) person in the counts
    assert [(f.mission, f.pseudonym) for f in intermire.rows(SectorForgotten)] == [("mirec", PERSON)]
    # The figures: every Mission's cells as before; the sector's distinct people count the person twice
    # now (residue at MIREC, pseudonym at MIRENA), the documented cost of forgetting at one Mission only.
    after = intermire.table()
    assert after["missions"] == table["missions"]
    assert after["sector"]["total"] == table["sector"]["total"] + 1
    assert intermire.service.sector_indicators()["entries_by_mission"] == indicators["entries_by_mission"]

    before = refused()
    replay = [again(e) for e in person]
    intermire.facts(*replay, *person)  # new ids, and the original ids again
    intermire.registered(again(person[0]))
    intermire.facts(forgotten(PERSON))  # the erasure itself replayed: nothing left to forget
    assert refused() == before + 3  # the two new-id facts and the registration; the old ids are duplicates
    assert [f.mission for f in intermire.rows(SectorFact, pseudonym=PERSON)] == ["mirena", "mirena"]
    assert len(intermire.rows(SectorFact, pseudonym=forget.ERASED)) == 2
    assert [e.mission for e in intermire.rows(SectorEntry, pseudonym=PERSON)] == ["mirena"]
    assert intermire.table()["missions"] == table["missions"]
    # Another Mission's new facts about the person are its own: still taken.
    intermire.facts(again(elsewhere[1]))
    assert len(intermire.rows(SectorFact, pseudonym=PERSON)) == 3


def test_the_pseudonyms_of_an_earlier_key_are_forgotten_with_the_current_one(intermire):
    old = path_of(OLD, "mirec", 0)
    intermire.facts(*old)
    with Session(intermire.store.engine) as s, s.begin():
        rekey.record(s, OLD, PERSON, "k2")  # MIREC rekeyed the person before erasing them
    intermire.facts(forgotten(PERSON))
    assert {f.pseudonym for f in intermire.rows(SectorFact)} == {forget.ERASED}
    assert {f.pseudonym for f in intermire.rows(SectorForgotten)} == {OLD, PERSON}
    before = refused()
    intermire.facts(*[again(e) for e in old])  # a replay of the facts sent under the old key
    assert refused() == before + 2 and {f.pseudonym for f in intermire.rows(SectorFact)} == {forget.ERASED}
