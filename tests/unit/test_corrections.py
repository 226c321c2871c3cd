"""Corrections with history: kit.corrections' rules, and a person's correction as the use case applies them
(a migrated SQLite database, a fixed clock, no broker)."""

import json
from datetime import date, timedelta

import pytest
from beneficiary import application as app
from beneficiary import schemas
from beneficiary.models import Beneficiary, Correction, TargetGroup
from employer import schemas as employer_schemas
from marshmallow import Schema, fields
from marshmallow import ValidationError as MarshmallowError
from nameko.exceptions import deserialize, serialize
from sqlalchemy import func, select

from kit import corrections, inputs
from kit.actor import Actor
from kit.application import to_outbox
from kit.corrections import StaleVersion
from kit.errors import Conflict, Forbidden, ValidationFailed
from kit.storage import outbox
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/beneficiary"
ANNE = Actor("anne.counsellor", "mirec", ("counsellor",))
DIRECTOR = Actor("dora.director", "mirec", ("director",))


# -- the kit's rules -----------------------------------------------------------
class Record:
    def __init__(self, **values):
        self.__dict__.update(values)


def test_apply_sets_only_what_differs_and_keeps_before_and_after_as_json():
    record = Record(name="Dupont", born=date(1990, 1, 2), phone=None, city="52011")
    changes = corrections.apply(
        record,
        {"name": "Dupond", "born": date(1990, 1, 2), "phone": "0470 12 34 56", "ignored": "x"},
        ("name", "born", "phone", "city"),
    )
    assert changes == [
        corrections.Change("name", "Dupont", "Dupond"),
        corrections.Change("phone", None, "0470 12 34 56"),
    ]
    assert (record.name, record.phone, record.city) == ("Dupond", "0470 12 34 56", "52011")
    assert corrections.plain({"d": [date(2026, 1, 2)]}) == {"d": ["2026-01-02"]}


@pytest.mark.parametrize("sent", [None, 0, -1, "3", True])
def test_a_correction_names_the_version_it_read(sent):
    with pytest.raises(ValidationFailed) as refused:
        corrections.sent_version({"version": sent} if sent is not None else {})
    assert list(refused.value.errors) == ["version"]
    assert corrections.sent_version({"version": 4}) == 4


class Corrected(corrections.CorrectionBody, Schema):
    version = corrections.version_field("record")
    name = fields.String(required=True)
    phone = fields.String(load_default=None, allow_none=True)


def test_a_correction_body_needs_its_version_and_one_field_and_nothing_else():
    assert Corrected().load({"version": 3, "phone": "071 11 22 33"}) == {"version": 3, "phone": "071 11 22 33"}
    with pytest.raises(MarshmallowError) as refused:
        Corrected().load({"version": 3})
    assert refused.value.messages == {"_schema": ["nothing to correct: send at least one field besides the version"]}
    with pytest.raises(MarshmallowError) as refused:
        Corrected().load({"name": "Dupond"})
    assert list(refused.value.messages) == ["version"]


@pytest.mark.parametrize(
    "schema",
    [schemas.CorrectionSchema, employer_schemas.EmployerCorrectionSchema, employer_schemas.ContactCorrectionSchema],
)
def test_every_correction_schema_refuses_a_body_with_only_the_version(schema):
    with pytest.raises(MarshmallowError) as refused:
        schema().load({"version": 1})
    assert "_schema" in refused.value.messages


def test_a_stale_version_crosses_rpc_with_who_and_when():
    stale = StaleVersion("beneficiary", "b-1", 2, 3, "bruno.counsellor", "2026-03-02T09:30:00+00:00")
    again = deserialize(serialize(stale))
    assert isinstance(again, StaleVersion) and isinstance(again, Conflict)
    assert again.details == {
        "current_version": 3,
        "sent_version": 2,
        "changed_by": "bruno.counsellor",
        "changed_at": "2026-03-02T09:30:00+00:00",
    }
    assert "version 3" in again.message and "bruno.counsellor" in again.message and again.existing == "b-1"


# -- a person's correction -------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def person(store, clock):
    body = DemoFactory(seed=23).beneficiary() | {
        "municipality": "52011",
        "target_groups": [
            {"group": "low_qualification", "evidence": "CESS absent", "since": "2024-01-01"},
            {"group": "disability", "evidence": "AVIQ 123", "since": "2024-01-01"},
        ],
    }
    with session(store) as s, s.begin():
        return to_outbox(s, app.register(s, ANNE, clock, SOURCE, inputs.load(schemas.IntakeSchema(), body))).id


def correct(store, clock, person_id, body, actor=ANNE, sensitive_ok=True):
    data = inputs.load(schemas.CorrectionSchema(), body)
    with session(store) as s, s.begin():
        who = s.get(Beneficiary, person_id)
        return to_outbox(s, app.correct(s, actor, clock, SOURCE, who, data, sensitive_ok))


def written(store, person_id):
    with session(store) as s:
        who = s.get(Beneficiary, person_id)
        rows = s.scalar(select(func.count()).select_from(Correction)) or 0
        events = s.scalar(select(func.count()).select_from(outbox)) or 0
        return who.version, who.last_name, who.municipality, rows, events


def test_a_correction_keeps_who_when_before_and_after_and_tells_the_mission(store, clock, person):
    before = written(store, person)
    clock.at += timedelta(hours=2)
    corrected = correct(store, clock, person, {"version": 1, "last_name": "Van Damme", "municipality": "62063"})
    assert corrected.version == 2
    version, name, municipality, rows, events = written(store, person)
    assert (version, name, municipality) == (2, "Van Damme", "62063")
    assert rows == 2 and events == before[4] + 1
    with session(store) as s:
        history = app.correction_history(s, ANNE, clock, person, "accompaniment", True)
        (event,) = [e for e in s.scalars(select(outbox.c.payload).order_by(outbox.c.seq.desc()).limit(1))]
    assert history == [
        {
            "version": 2,
            "at": clock.at.isoformat(),
            "by": "anne.counsellor",
            "role": "counsellor",
            "changes": [
                {"field": "last_name", "before": before[1], "after": "Van Damme"},
                {"field": "municipality", "before": "52011", "after": "62063"},
            ],
        }
    ]
    assert "be.mire.beneficiary.corrected.v1" in event and '"62063"' in event
    assert "Van Damme" not in event and before[1] not in event, "names never travel in events"


def test_a_stale_version_writes_nothing_and_names_the_last_corrector(store, clock, person):
    correct(store, clock, person, {"version": 1, "phone": "0470 12 34 56"})
    before = written(store, person)
    with pytest.raises(StaleVersion) as stale:
        correct(store, clock, person, {"version": 1, "last_name": "Autre"}, actor=DIRECTOR)
    assert (stale.value.current, stale.value.changed_by) == (2, "anne.counsellor")
    assert written(store, person) == before


def test_bad_input_writes_nothing(store, clock, person):
    before = written(store, person)
    with pytest.raises(ValidationFailed):  # the person's name as it already is: nothing to correct
        correct(store, clock, person, {"version": 1, "last_name": before[1]})
    with pytest.raises(ValidationFailed) as refused:  # born after the intake recorded on file
        correct(store, clock, person, {"version": 1, "birth_date": date.today().isoformat(), "last_name": "X"})
    assert list(refused.value.errors) == ["birth_date"]
    assert written(store, person) == before
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(schemas.CorrectionSchema(), {"version": 1, "niss": "85073100123", "municipality": "99999"})
    assert set(refused.value.errors) == {"niss", "municipality"}


def test_sensitive_target_groups_are_corrected_and_shown_only_by_the_roles_that_may_see_them(store, clock, person):
    groups = [
        {"group": "low_qualification", "evidence": "CESS absent", "since": "2024-01-01"},
        {"group": "disability", "evidence": "AVIQ 456", "since": "2024-01-01"},
    ]
    before = written(store, person)
    with pytest.raises(Forbidden):
        correct(store, clock, person, {"version": 1, "target_groups": groups}, actor=DIRECTOR, sensitive_ok=False)
    assert written(store, person) == before
    correct(store, clock, person, {"version": 1, "target_groups": groups})
    with session(store) as s:
        held = sorted(s.scalars(select(TargetGroup.evidence).where(TargetGroup.beneficiary_id == person)))
        hidden = app.correction_history(s, DIRECTOR, clock, person, "accompaniment", False)
        shown = app.correction_history(s, ANNE, clock, person, "accompaniment", True)
    assert held == ["AVIQ 456", "CESS absent"]
    (change,) = hidden[0]["changes"]
    assert [g["evidence"] for g in change["after"]] == [None, "CESS absent"]
    assert [g["evidence"] for g in shown[0]["changes"][0]["before"]] == ["AVIQ 123", "CESS absent"]


# -- employers, contacts and vacancies ---------------------------------------------
AGENT = Actor("eric.agent", "mirec", ("employer_relations",))


@pytest.fixture
def employers(tmp_path):
    with migrated("employer", f"sqlite:///{tmp_path}/employer.sqlite") as store:
        yield store


def test_employer_and_contact_corrections_share_one_history(employers, clock):
    from employer import application as emp
    from employer import schemas as es
    from employer.models import Correction as EmployerCorrection

    with session(employers) as s, s.begin():
        firm = emp.register(s, AGENT, clock, SOURCE, inputs.load(es.EmployerIntakeSchema(), DemoFactory(7).employer()))
        contact = emp.add_contact(
            s, firm.value.id, {"name": "Léa Martin", "function": None, "phone": None, "email": None}
        )
        s.flush()
        ids = firm.value.id, contact.id
    with session(employers) as s, s.begin():
        emp.correct_employer(s, AGENT, clock, SOURCE, ids[0], {"version": 1, "street": "Rue de la Station 3"})
        emp.reassign(s, DIRECTOR, clock, SOURCE, ids[0], {"version": 2, "account_manager": "fanny.agent"})
        emp.correct_contact(s, AGENT, clock, SOURCE, *ids, {"version": 1, "phone": "071 23 45 67"})
    with session(employers) as s, s.begin(), pytest.raises(StaleVersion) as stale:
        emp.correct_employer(s, AGENT, clock, SOURCE, ids[0], {"version": 2, "name": "Trop tard"})
    assert (stale.value.current, stale.value.changed_by) == (3, "dora.director")
    with session(employers) as s:
        history = emp.correction_history(s, ids[0])
    assert [(e["version"], e["by"], e["changes"][0]["field"]) for e in history["employer"]] == [
        (3, "dora.director", "account_manager"),
        (2, "eric.agent", "street"),
    ]
    assert history["employer"][0]["changes"][0] == {
        "field": "account_manager",
        "before": "eric.agent",
        "after": "fanny.agent",
    }
    assert history["contacts"][ids[1]][0]["changes"] == [{"field": "phone", "before": None, "after": "071 23 45 67"}]
    with session(employers) as s, s.begin():
        emp.erase_contact(s, ids[0], ids[1])
    with session(employers) as s:
        left = s.scalars(select(EmployerCorrection.record).order_by(EmployerCorrection.id)).all()
    assert left == ["employer", "employer"], "an erased contact's former values go with them"


def test_an_employer_correction_tells_the_mission_its_codes_and_reporting_keeps_the_newer_sector(
    employers, clock, tmp_path
):
    from employer import application as emp
    from employer import schemas as es
    from reporting import application as rep
    from reporting.models import EmployerFact

    from contracts import internal

    with session(employers) as s, s.begin():
        firm = emp.register(s, AGENT, clock, SOURCE, inputs.load(es.EmployerIntakeSchema(), DemoFactory(9).employer()))
        to_outbox(s, firm)
        registered = firm.events[0][0]
        contact = emp.add_contact(
            s, firm.value.id, {"name": "Léa Martin", "function": None, "phone": "071 11 22 33", "email": None}
        )
        s.flush()
        eid, cid = firm.value.id, contact.id
    with session(employers) as s, s.begin():
        done = emp.correct_employer(
            s, AGENT, clock, SOURCE, eid, {"version": 1, "name": "Boulangerie Neuve", "nace": "10.711"}
        )
        to_outbox(s, done)
        quiet = emp.correct_contact(s, AGENT, clock, SOURCE, eid, cid, {"version": 1, "phone": "071 99 88 77"})
        assert quiet.events == [], "a contact's correction is told to no one"
    [(event, to)] = done.events
    assert (event.type, event.subject, to) == (internal.EmployerCorrectedV1.TYPE, eid, None)
    assert event.data["fields"] == ["name", "nace"] and event.data["nace"] == "10.711"
    assert event.data["version"] == 2 and event.data["municipality"] == firm.value.municipality
    assert "Boulangerie" not in str(event.data), "names stay in the history"
    with session(employers) as s:
        assert s.scalar(select(func.count()).select_from(outbox).where(outbox.c.routing_key == event.type)) == 1

    # Reporting counts the employer under its corrected sector, in whichever order the two queues deliver.
    for n, order in enumerate(((registered, event), (event, registered))):
        with migrated("reporting", f"sqlite:///{tmp_path}/reporting-{n}.sqlite") as store:
            with session(store) as s, s.begin():
                for e in order:
                    (rep.record_employer if e is registered else rep.correct_employer)(s, e)
            with session(store) as s:
                fact = s.get(EmployerFact, eid)
                assert (fact.nace, fact.month) == ("10.711", registered.data["registered_month"])


def test_intermire_hears_no_correction_and_the_next_fact_carries_the_corrected_codes(store, clock, person):
    """Why no sector correction event: each sector fact carries the person's codes as the file stands when it is
    published, and InterMire counts each fact under its own codes (no join on the intake there)."""
    correct(store, clock, person, {"version": 1, "gender": "X", "municipality": "62063"})
    with session(store) as s:
        sent = [json.loads(p) for p in s.scalars(select(outbox.c.payload).where(outbox.c.audience == "sector"))]
    assert [e["type"] for e in sent] == ["be.mire.beneficiary.registered.v1"]
    with session(store) as s, s.begin():
        moved = app.move_stage(s, ANNE, clock, SOURCE, s.get(Beneficiary, person), {"to": "orientation", "why": None})
        [sector_fact] = [e for e, _ in moved.events if e.type.endswith("stage_changed.v1") and "pseudonym" in e.data]
    assert (sector_fact.data["gender"], sector_fact.data["municipality"]) == ("X", "62063")
