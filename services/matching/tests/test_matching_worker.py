"""The service class on a real migrated SQLite database (no broker): events in, rankings and proposals out."""

import json

import pytest
from matching.index import _Facade, _Shared
from matching.service import MatchingService
from sqlalchemy import select

from contracts.envelope import make_event
from kit.actor import Actor
from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit.storage import outbox
from kit.taxonomy import DEMO_DIR, load
from kit.testing import migrated, worker

TAX = load(str(DEMO_DIR))
CODE = {label: code for code, label in TAX.competences.items()}
WALL, MORTAR, PLAN = (
    CODE["Monter un mur en blocs"],
    CODE["Préparer un mortier ou un béton"],
    CODE["Lire un plan de construction"],
)


# What the producers always send beside the fields a test is about (contracts.internal), so that each event is
# one its producer could have built; the consumer still ignores fields it does not know ("extra" below).
COMPLETE = {
    "plan_agreed": {
        "target_occupations": [],
        "missing_competences": [],
        "contract_wishes": [],
        "hours_wish": None,
        "mobility_km": None,
        "available_from": None,
        "municipality": None,
        "actions": ["job_search"],
    },
    "contract_signed": {
        "contract_type": "permanent",
        "hours_per_week": 38,
        "employer_id": "e-1",
        "check_due": "2027-06-15",
    },
    "vacancy_opened": {"source": "mission", "filled": 0, "status": "open", "on": "2026-11-02"},
    "vacancy_closed": {
        "employer_id": "e-1",
        "source": "mission",
        "occupation": "F1703",
        "title": "Maçon H/F",
        "competences": [],
        "contract_type": "fixed_term",
        "hours_per_week": 38,
        "municipality": "52011",
        "posts": 2,
        "filled": 0,
        "status": "closed",
        "on": "2026-12-20",
        "start_date": None,
    },
}


def event(kind, data, service="beneficiary"):
    full = {**COMPLETE.get(kind, {}), **data}
    return make_event(source=f"/missions/mirec/{service}", type=f"be.mire.{service}.{kind}.v1", data=full)


@pytest.fixture
def store(tmp_path):
    with migrated("matching", f"sqlite:///{tmp_path}/matching.sqlite") as s:
        yield s


@pytest.fixture
def service(store):
    prospector = Actor("eric.prospector", "mirec", ("employer_relations",))
    return worker(MatchingService, store, prospector, index=_Facade(_Shared(TAX)))


def feed(service, extra_person=None):
    service.on_assessed(
        [
            event(
                "assessed",
                {
                    "beneficiary_id": "b-1",
                    "municipality": "52018",
                    "assessed_on": "2026-10-01",
                    "extra": "tolerated",
                    "competences": [
                        {"code": WALL, "level": 3, "kind": "technical"},
                        {"code": MORTAR, "level": 1, "kind": "technical"},
                    ],
                },
            )
        ]
    )
    service.on_plan_agreed(
        event(
            "plan_agreed",
            {
                "beneficiary_id": "b-1",
                "version": 1,
                "target_occupations": ["F1703"],
                "contract_wishes": ["fixed_term"],
                "hours_wish": 38,
                "mobility_km": 30,
                "available_from": "2026-12-01",
                "municipality": "52018",
            },
        )
    )
    service.on_vacancy_opened(
        event(
            "vacancy_opened",
            {
                "vacancy_id": "v-1",
                "employer_id": "e-1",
                "occupation": "F1703",
                "title": "Maçon H/F",
                "competences": [
                    {"code": WALL, "level": 2, "essential": True},
                    {"code": MORTAR, "level": 2, "essential": True},
                    {"code": PLAN, "level": 1, "essential": False},
                ],
                "contract_type": "fixed_term",
                "hours_per_week": 38,
                "municipality": "52011",
                "posts": 2,
                "start_date": "2027-01-04",
            },
            service="employer",
        )
    )


def test_events_build_the_view_and_rankings_explain_the_gaps(service):
    feed(service)
    [hit] = service.rank_candidates("v-1", 10)
    assert hit["beneficiary_id"] == "b-1"
    assert {m["code"] for m in hit["explanation"]["missing"]} == {MORTAR, PLAN}
    assert service.rank_vacancies("b-1", 5)[0]["vacancy_id"] == "v-1"
    # The plan moves the person out of reach: the ranking follows (the index is rebuilt).
    service.on_plan_agreed(
        event(
            "plan_agreed",
            {
                "beneficiary_id": "b-1",
                "version": 2,
                "target_occupations": [],
                "contract_wishes": ["permanent"],
                "mobility_km": 30,
                "available_from": None,
                "municipality": "52018",
            },
        )
    )
    assert service.rank_candidates("v-1", 10) == []
    # An older plan arriving late changes nothing.
    service.on_plan_agreed(
        event(
            "plan_agreed", {"beneficiary_id": "b-1", "version": 1, "contract_wishes": ["fixed_term"], "mobility_km": 30}
        )
    )
    assert service.rank_candidates("v-1", 10) == []


def test_bad_input_gets_field_level_errors(service):
    feed(service)
    for limit in (0, 201, 1_000_000, "many"):
        with pytest.raises(ValidationFailed) as raised:
            service.rank_candidates("v-1", limit)
        assert list(raised.value.errors) == ["limit"]
    with pytest.raises(NotFound):
        service.rank_candidates("v-unknown", 10)
    with pytest.raises(NotFound):
        service.rank_vacancies("b-unknown", 10)
    with pytest.raises(ValidationFailed) as raised:
        service.occupation("XX")
    assert list(raised.value.errors) == ["code"]
    with pytest.raises(NotFound):
        service.occupation("N9999")
    with pytest.raises(ValidationFailed) as raised:
        service.suggest_occupations("", 5)
    assert list(raised.value.errors) == ["title"]
    assert service.suggest_occupations("Maçonne", 3)[0]["code"] == "F1703"
    assert service.occupation("F1703")["competences"][0]["label"]


def test_a_proposal_walks_its_state_machine_and_every_step_is_an_event(service, store):
    feed(service)
    p = service.propose("v-1", "b-1")
    assert p["state"] == "proposed"
    with pytest.raises(Conflict) as dup:
        service.propose("v-1", "b-1")
    assert dup.value.existing == p["id"]
    assert service.rank_candidates("v-1", 10) == []  # already proposed: not suggested again
    with pytest.raises(Conflict):
        service.move_proposal(p["id"], "hired")
    service.move_proposal(p["id"], "presented")
    with pytest.raises(ValidationFailed) as raised:
        service.move_proposal(p["id"], "rejected")
    assert list(raised.value.errors) == ["reason"]
    service.move_proposal(p["id"], "interview")
    done = service.move_proposal(p["id"], "rejected", "profil incomplet pour le poste")
    assert done["state"] == "rejected" and done["reason"]
    steps = service.get_proposal(p["id"])["steps"]
    assert [s["to"] for s in steps] == ["proposed", "presented", "interview", "rejected"]
    assert steps[0]["by"] == "eric.prospector"
    with store.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.routing_key, outbox.c.payload).order_by(outbox.c.created_at)).all()
    assert [r.routing_key for r in rows] == [
        "be.mire.matching.proposal_made.v1",
        "be.mire.matching.proposal_presented.v1",
        "be.mire.matching.interview_scheduled.v1",
        "be.mire.matching.proposal_rejected.v1",
    ]
    last = json.loads(rows[-1].payload)["data"]
    assert last["reason"] == "profil incomplet pour le poste" and last["proposal_id"] == p["id"]
    assert {"vacancy_id", "beneficiary_id", "at"} <= set(last)


def test_placement_closure_and_erasure(service, store):
    feed(service)
    p = service.propose("v-1", "b-1")
    service.on_contract_signed(event("contract_signed", {"beneficiary_id": "b-1", "signed_on": "2026-12-15"}))
    assert service.get_proposal(p["id"])["state"] == "withdrawn"
    with pytest.raises(Conflict):
        service.propose("v-1", "b-1")
    service.on_vacancy_closed(event("vacancy_closed", {"vacancy_id": "v-1"}, service="employer"))
    with pytest.raises(Conflict):
        service.rank_candidates("v-1", 5)
    # A late update does not reopen it.
    feed(service)
    with pytest.raises(Conflict):
        service.rank_candidates("v-1", 5)
    erased = event("erased", {"beneficiary_id": "b-1"})
    service.on_erased(erased)
    with pytest.raises(NotFound):
        service.get_proposal(p["id"])
    with pytest.raises(NotFound):
        service.rank_vacancies("b-1", 5)
    feed(service)  # replayed facts of an erased person do not bring them back
    with pytest.raises(NotFound):
        service.rank_vacancies("b-1", 5)


def test_each_event_takes_effect_once(service, store):
    feed(service)
    signed = event("contract_signed", {"beneficiary_id": "b-1", "signed_on": "2026-12-15"})
    service.propose("v-1", "b-1")
    service.on_contract_signed(signed)
    service.on_contract_signed(signed)
    with store.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(select(outbox.c.routing_key))]
    assert kinds.count("be.mire.matching.proposal_withdrawn.v1") == 1


def test_callers_without_a_placing_role_are_refused(store):
    svc = worker(MatchingService, store, Actor("someone", "mirec", ("social_worker",)), index=_Facade(_Shared(TAX)))
    with pytest.raises(Forbidden):
        svc.rank_candidates("v-1", 5)
    other_mission = worker(MatchingService, None, Actor("x", "mirena", ("counsellor",)))
    with pytest.raises(Forbidden):
        other_mission.propose("v-1", "b-1")


def test_a_batch_of_assessments_inserts_new_people_updates_known_ones_and_ignores_late_and_erased(service, store):
    from matching.models import Candidate

    def assessed(ref, on, code, municipality="52018"):
        return event(
            "assessed",
            {
                "beneficiary_id": ref,
                "municipality": municipality,
                "assessed_on": on,
                "competences": [{"code": code, "level": 2, "kind": "technical"}],
            },
        )

    service.on_assessed([assessed("known", "2026-10-01", WALL, municipality="52011")])
    service.on_erased(event("erased", {"beneficiary_id": "gone"}))
    batch = [
        assessed("new", "2026-10-02", WALL),
        assessed("new", "2026-10-05", MORTAR),  # the later assessment of the same person in the batch wins
        assessed("known", "2026-10-03", PLAN, municipality=None),  # a known person: updated, place kept
        assessed("late", "2026-10-09", WALL),
        assessed("late", "2026-10-01", MORTAR),  # an older one after it in the same batch: ignored
        assessed("gone", "2026-10-04", WALL),  # erased: never comes back
    ]
    service.on_assessed(batch)
    service.on_assessed([assessed("known", "2026-09-01", MORTAR)])  # older than what is held: ignored
    with store.sessions() as s:
        rows = {r.beneficiary_id: r for r in s.scalars(select(Candidate))}
    assert set(rows) == {"known", "new", "late"}
    assert [c["code"] for c in rows["new"].competences] == [MORTAR]
    assert str(rows["new"].assessed_on) == "2026-10-05" and rows["new"].target_occupations == []
    assert [c["code"] for c in rows["known"].competences] == [PLAN]
    assert rows["known"].municipality == "52011" and str(rows["known"].assessed_on) == "2026-10-03"
    assert [c["code"] for c in rows["late"].competences] == [WALL]
    # The same batch again changes nothing: the inbox has every event.
    service.on_assessed(batch)
    with store.sessions() as s:
        assert (
            s.scalar(select(Candidate.assessed_on).where(Candidate.beneficiary_id == "known")).isoformat()
            == "2026-10-03"
        )


def test_the_index_never_keeps_an_older_row_under_a_newer_stamp(service, store):
    """A caller's session may hold a vacancy as it stood before a commit (rank_candidates loads its vacancy
    before asking the index): the rebuilt index must still carry the committed state, not the session's copy."""
    from matching.models import Vacancy

    feed(service)
    shared = _Shared(TAX)
    caller = store.sessions()  # expire_on_commit=False, as every service session
    held = caller.get(Vacancy, "v-1")  # held, as rank_candidates holds its row: the session keeps it
    assert held.status == "open"
    caller.commit()  # a new transaction at the next read, the loaded row kept in the session
    service.on_vacancy_closed(event("vacancy_closed", {"vacancy_id": "v-1"}, service="employer"))
    ranked = shared.current(caller).rank_vacancies(shared.current(caller).people[0], 5)
    caller.close()
    assert ranked == [] and held.status == "closed"
