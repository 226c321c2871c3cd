"""The employer rules and use cases, called directly: a migrated SQLite database, a fixed clock, no broker."""

import pytest
from employer import application as app
from employer import domain, events, schemas
from employer.enums import CANCELLED, CLOSED, DRAFT, FILLED, OPEN, PARTIALLY_FILLED
from employer.models import Contact, VacancyTransition
from sqlalchemy import select

from kit import inputs
from kit.actor import Actor
from kit.errors import NotFound, ValidationFailed
from kit.rules import Refused
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/employer"
AGENT = Actor("eric.prospector", "mirec", ("employer_relations",))


# -- rules ------------------------------------------------------------------
@pytest.mark.parametrize("status", [CLOSED, CANCELLED, FILLED])
def test_a_finished_vacancy_no_longer_changes(status):
    with pytest.raises(Refused) as refused:
        domain.check_update(status, 0, {"title": "x"})
    assert (refused.value.field, refused.value.message) == ("status", f"a {status} vacancy cannot change")


def test_what_an_edit_may_change():
    domain.check_update(OPEN, 1, {"posts": 1})
    with pytest.raises(Refused, match="2 posts are already filled"):
        domain.check_update(PARTIALLY_FILLED, 2, {"posts": 1})
    with pytest.raises(Refused, match="does not change employer"):
        domain.check_same_employer({"employer_id": "e-2"})
    with pytest.raises(Refused) as refused:
        domain.check_cancel_reason("bored")
    assert refused.value.field == "reason" and "need_disappeared" in refused.value.message


def test_only_a_draft_closes_without_telling_anyone():
    assert domain.announced_on_move(DRAFT, OPEN) and domain.announced_on_move(OPEN, CLOSED)
    assert not domain.announced_on_move(DRAFT, CANCELLED)


def test_an_offer_s_digest_changes_with_its_content_only():
    offer = {k: "x" for k in domain.IMPORTED_FIELDS} | {"open": True, "source_ref": "F-1", "line": 3}
    assert domain.offer_digest(offer) == domain.offer_digest(offer | {"line": 9, "source_ref": "F-2"})
    assert domain.offer_digest(offer) != domain.offer_digest(offer | {"title": "y"})
    assert domain.offer_digest(offer) != domain.offer_digest(offer | {"open": False})
    assert domain.imported_status(True) == OPEN and domain.imported_status(False) == CLOSED


# -- use cases --------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    with migrated("employer", f"sqlite:///{tmp_path}/employer.sqlite") as store:
        yield store


@pytest.fixture
def clock():
    return FixedClock()


def draft(s, clock, posts=2):
    employer = app.register(
        s, AGENT, clock, SOURCE, inputs.load(schemas.EmployerIntakeSchema(), DemoFactory().employer())
    )
    payload = {
        "employer_id": employer.value.id,
        "title": "Maçon",
        "occupation": "F1703",
        "description": "Gros oeuvre",
        "contract_type": "permanent",
        "hours_per_week": 38,
        "municipality": "52011",
        "posts": posts,
    }
    return app.create_vacancy(s, AGENT, clock, inputs.load(schemas.VacancySchema(), payload))


def test_a_vacancy_from_draft_to_filled_tells_each_step_but_the_draft(store, clock):
    with session(store) as s, s.begin():
        vacancy = draft(s, clock)
        assert app.update_vacancy(s, AGENT, clock, SOURCE, vacancy.id, {"title": "Maçonne", "version": 1}).events == []
        opened = app.move(s, AGENT, clock, SOURCE, vacancy.id, "open")
        assert [(e.type, e.audience) for e, _ in opened.events] == [
            (events.VACANCY_OPENED, "internal"),
            (events.VACANCY_OPENED, "sector"),
        ]
        first = app.fill(s, AGENT, clock, SOURCE, vacancy.id, "b-1")
        assert (first.value.status, first.value.filled) == (PARTIALLY_FILLED, 1)
        last = app.fill(s, AGENT, clock, SOURCE, vacancy.id, "b-2")
        assert last.value.status == FILLED
        assert [e.data.get("beneficiary_id") for e, _ in last.events] == ["b-2", None]  # the sector form names nobody
        assert last.events[0][0].data["on"] == clock.today().isoformat()
        with pytest.raises(ValidationFailed) as refused:
            app.update_vacancy(s, AGENT, clock, SOURCE, vacancy.id, {"title": "x", "version": 2})
        assert refused.value.errors == {"status": ["a filled vacancy cannot change"]}
        with pytest.raises(ValidationFailed) as refused:
            app.fill(s, AGENT, clock, SOURCE, vacancy.id, "b-3")
        assert refused.value.errors == {"status": ["cannot fill a vacancy that is filled"]}
        moves = s.execute(select(VacancyTransition.from_status, VacancyTransition.to_status)).all()
        assert moves == [(None, DRAFT), (DRAFT, OPEN), (OPEN, PARTIALLY_FILLED), (PARTIALLY_FILLED, FILLED)]


def test_a_draft_cancelled_tells_no_one(store, clock):
    with session(store) as s, s.begin():
        vacancy = draft(s, clock)
        cancelled = app.move(s, AGENT, clock, SOURCE, vacancy.id, "cancel", "duplicate")
        assert cancelled.value.status == CANCELLED and cancelled.events == []
        reason = s.scalar(select(VacancyTransition.reason).where(VacancyTransition.to_status == CANCELLED))
        assert reason == "duplicate"


def test_importing_the_same_offers_twice_changes_nothing_the_second_time(store, clock):
    offer = {
        "source_ref": "F-1",
        "title": "Maçon (h/f)",
        "occupation": "F1703",
        "description": "Maçon (h/f)",
        "contract_type": "permanent",
        "hours_per_week": 38,
        "municipality": "52011",
        "posts": 2,
        "start_date": "2026-12-01",
        "open": True,
        "line": 1,
    }
    batch = [offer, offer | {"source_ref": "F-2", "occupation": "Z9999", "line": 2}]
    with session(store) as s, s.begin():
        first = app.import_offers(s, AGENT, clock, SOURCE, batch)
        assert first.value["created"] == 1 and [r["line"] for r in first.value["rejected"]] == [2]
        assert [e.type for e, _ in first.events] == [events.VACANCY_OPENED]  # a public offer: internal only
        again = app.import_offers(s, AGENT, clock, SOURCE, batch[:1])
        assert again.value["unchanged"] == 1 and again.events == []
        closed = app.import_offers(s, AGENT, clock, SOURCE, [offer | {"open": False}])
        assert closed.value["updated"] == 1 and [e.type for e, _ in closed.events] == [events.VACANCY_CLOSED]
    with pytest.raises(ValidationFailed) as refused:
        app.check_import_batch([offer] * (domain.MAX_IMPORT_BATCH + 1))
    assert refused.value.errors == {"offers": [f"a list of at most {domain.MAX_IMPORT_BATCH} offers"]}


def test_a_contact_is_erased_from_its_own_employer_only(store, clock):
    factory = DemoFactory(seed=12)
    with session(store) as s, s.begin():
        ours, other = (
            app.register(s, AGENT, clock, SOURCE, inputs.load(schemas.EmployerIntakeSchema(), factory.employer())).value
            for _ in range(2)
        )
        gone = app.add_contact(s, ours.id, {"name": "Anne Lambert", "email": "anne@example.be"})
        kept = app.add_contact(s, ours.id, {"name": "Marc Dubois"})
    with session(store) as s, s.begin():
        with pytest.raises(NotFound):  # another employer's contact path: nothing deleted
            app.erase_contact(s, other.id, gone.id)
        assert app.erase_contact(s, ours.id, gone.id) == gone.id
    with session(store) as s:
        assert [c["name"] for c in app.read_employer(s, ours.id)["contacts"]] == [kept.name]
        assert s.get(Contact, gone.id) is None
        with pytest.raises(NotFound):  # erased already
            app.erase_contact(s, ours.id, gone.id)
