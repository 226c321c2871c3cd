"""What an agency tells the Mission, called directly (``beneficiary.agency_facts``): a migrated SQLite database, a
fixed clock, no broker. Accepted onto the person's file, or refused with the feedback the agency reads."""

from datetime import date

import pytest
from beneficiary import agency_facts, schemas
from beneficiary import application as app
from beneficiary.models import AgencyFact, AgencyRefusal
from sqlalchemy import func, select

from contracts.agency import inbound
from contracts.catalogue import load
from contracts.envelope import make_event
from contracts.payloads import build
from kit import inputs
from kit.actor import Actor
from kit.application import to_outbox
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/beneficiary"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
FOREM_REF = "F-2026-000417"


@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def person(store, clock):
    data = DemoFactory(seed=7).beneficiary() | {
        "municipality": "52011",
        "disclosures": [
            {
                "given_on": "2026-02-02",
                "reference": "décret MIRE art. 5",
                "agency": "forem",
                "basis": "legal_basis",
                "agency_reference": FOREM_REF,
            }
        ],
    }
    with session(store) as s, s.begin():
        return to_outbox(s, app.register(s, COUNSELLOR, clock, SOURCE, inputs.load(schemas.IntakeSchema(), data)))


def sent(payload, agency="forem", **envelope):
    event = build(payload, source=f"/agencies/{agency}", subject=payload.agency_reference)
    return make_event(
        source=event.source,
        type=envelope.get("type", event.type),
        audience="inbound",
        subject=event.subject,
        data=envelope.get("data", event.data),
    )


def training(**changes):
    fields = {"mission": "mirec", "agency_reference": FOREM_REF, "started_on": date(2026, 3, 2), "training": "Cariste"}
    return inbound.TrainingEntered(**(fields | changes))


def receive(store, clock, event, agency="forem"):
    with session(store) as s, s.begin():
        done = agency_facts.receive(s, clock, SOURCE, "mirec", agency, event)
        events = list(done.events)
        to_outbox(s, done)
        return done.value, events


def test_an_agency_fact_goes_on_the_persons_file_as_the_agency_sent_it(store, clock, person):
    refusal, events = receive(store, clock, sent(training(hours=120)))
    assert refusal is None and events == []
    with session(store) as s, s.begin():
        [fact] = agency_facts.listing(s, COUNSELLOR, clock, person.id, "accompaniment")
    assert (fact["agency"], fact["type"], fact["occurred_on"]) == ("forem", inbound.TRAINING_ENTERED, date(2026, 3, 2))
    assert fact["facts"] == {"started_on": "2026-03-02", "training": "Cariste", "hours": 120}


@pytest.mark.parametrize(
    ("event", "agency", "code"),
    [
        # Actiris does not know the person by Le Forem's reference (its disclosure is Le Forem's).
        (lambda: sent(training(), agency="actiris"), "actiris", "unknown_person"),
        (lambda: sent(training(agency_reference="F-0000-000000")), "forem", "unknown_person"),
        (lambda: sent(training(), type="be.mire.agency.training_entered.v9"), "forem", "unknown_type"),
        (
            lambda: sent(training(), data={"mission": "mirec", "agency_reference": FOREM_REF}),
            "forem",
            "schema_violation",
        ),
        (lambda: sent(training(mission="mirena")), "forem", "wrong_mission"),
    ],
)
def test_a_refused_event_is_not_applied_and_its_agency_is_told_why(store, clock, person, event, agency, code):
    refused = event()
    refusal, events = receive(store, clock, refused, agency)
    assert refusal.code == code
    [(feedback, to)] = events
    assert to == agency and feedback.audience == "feedback" and feedback.subject == refused.id
    data = load(feedback, inbound.AgencyEventRefused)
    assert (data.event_id, data.event_type, data.code, data.mission) == (refused.id, refused.type, code, "mirec")
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(AgencyFact)) == 0
        assert agency_facts.refusal_of(s, refused.id) == refusal
        assert s.get(AgencyRefusal, refused.id).agency == agency


def test_a_withdrawn_disclosure_names_no_one_any_more(store, clock, person):
    with session(store) as s, s.begin():
        to_outbox(s, app.withdraw_disclosure(s, COUNSELLOR, clock, SOURCE, app.person(s, person.id), "forem"))
    refusal, _ = receive(store, clock, sent(training()))
    assert refusal.code == "unknown_person"


def test_every_inbound_type_dates_its_fact():
    from contracts.samples import _inbound_payload

    for event_type in inbound.INBOUND:
        assert isinstance(agency_facts.occurred_on(_inbound_payload("forem", event_type)), date)


def test_erasure_takes_the_agency_facts_with_the_person(store, clock, person):
    receive(store, clock, sent(training()))
    director = Actor("dora.director", "mirec", ("director",))
    with session(store) as s, s.begin():
        to_outbox(s, app.erase(s, director, clock, SOURCE, person.id))
    with session(store) as s:
        assert s.scalar(select(func.count()).select_from(AgencyFact)) == 0
