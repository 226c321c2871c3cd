"""Search, caseload and what is due, on the service class with a real migrated SQLite database (no broker).

The same searches run through the gateway on the real broker, on SQLite and PostgreSQL, in
``tests/integration/test_search_and_due.py``.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from beneficiary.models import Contract, PlanVersion
from beneficiary.service import BeneficiaryService

from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from kit.migrations import alembic_config, upgrade
from kit.search import search_key
from kit.testing import migrated, worker
from runtime.demo import DemoFactory

ANNE = Actor("anne.counsellor", "mirec", ("counsellor",))
BRUNO = Actor("bruno.counsellor", "mirec", ("counsellor",))
TODAY = date.today()


@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


def as_(store, actor):
    return worker(BeneficiaryService, store, actor, site=actor.mission, mission="mirec")


def person(seed, first, last, **extra):
    return dict(DemoFactory(seed=seed).beneficiary("50000"), first_name=first, last_name=last, **extra)


@pytest.fixture
def people(store):
    anne, bruno = as_(store, ANNE), as_(store, BRUNO)
    made = {
        "eloise": anne.register(person(1, "Éloïse", "Van den Bœuf")),
        "francois": anne.register(person(2, "François", "D'Hondt")),
        "jean": bruno.register(person(3, "Jean-Marie", "Lefèvre", municipality="52011")),
        "marie": bruno.register(person(4, "Marie", "LEFEBVRE")),
    }
    return {name: body["id"] for name, body in made.items()}


def names(result):
    return [(i["first_name"], i["last_name"]) for i in result["items"]]


def test_names_are_found_without_accents_case_or_punctuation(store, people):
    anne = as_(store, ANNE)
    assert names(anne.search({"q": "eloise boeuf"})) == [("Éloïse", "Van den Bœuf")]
    assert names(anne.search({"q": "ÉLOÏSE"})) == [("Éloïse", "Van den Bœuf")]
    assert names(anne.search({"q": "dhondt"})) == [("François", "D'Hondt")]
    assert names(anne.search({"q": "d'hondt"})) == names(anne.search({"q": "d hondt"})) == [("François", "D'Hondt")]
    assert names(anne.search({"q": "lef"})) == [("Marie", "LEFEBVRE"), ("Jean-Marie", "Lefèvre")]
    assert names(anne.search({"q": "marie lefe"})) == [("Marie", "LEFEBVRE"), ("Jean-Marie", "Lefèvre")]
    assert names(anne.search({"q": "jean marie"})) == [("Jean-Marie", "Lefèvre")]
    assert anne.search({"q": "zzz"})["total"] == 0
    assert anne.search({})["total"] == 4


def test_filters_combine_and_the_national_number_narrows_without_being_shown(store, people):
    anne = as_(store, ANNE)
    niss = person(3, "x", "y")["niss"]
    by_number = anne.search({"niss": niss})
    assert [i["id"] for i in by_number["items"]] == [people["jean"]]
    assert "niss" not in by_number["items"][0] and niss not in str(by_number)
    assert anne.search({"counsellor": "bruno.counsellor", "q": "lef"})["total"] == 2
    assert names(anne.search({"municipality": "52011"})) == [("Jean-Marie", "Lefèvre")]
    assert anne.search({"stage": "accueil", "status": "active"})["total"] == 4
    assert anne.search({"stage": "formation"})["total"] == 0
    future = (TODAY + timedelta(days=1)).isoformat()
    assert anne.search({"registered_from": future})["total"] == 0
    page = anne.search({}, page=2, page_size=3)
    assert page["total"] == 4 and len(page["items"]) == 1


def test_bad_criteria_are_refused_field_by_field(store, people):
    anne = as_(store, ANNE)
    with pytest.raises(ValidationFailed) as bad:
        anne.search(
            {
                "q": "%_",
                "niss": "123",
                "stage": "nowhere",
                "municipality": "Charleroi",
                "registered_from": "2026-05-01",
                "registered_to": "2026-01-01",
                "salary": "1",
            }
        )
    assert set(bad.value.errors) == {"q", "niss", "stage", "municipality", "registered_to", "salary"}
    with pytest.raises(Forbidden):
        as_(store, Actor("eric.agent", "mirec", ("employer_relations",))).search({})
    with pytest.raises(Forbidden):
        as_(store, Actor("anne.counsellor", "mirena", ("counsellor",))).search({})


def test_a_counsellors_caseload_counts_by_stage_with_each_persons_next_due_item(store, people):
    anne, bruno = as_(store, ANNE), as_(store, BRUNO)
    anne.move_stage(people["francois"], {"to": "orientation", "why": "projet clair"})
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(Contract),
            [
                dict(
                    beneficiary_id=people["eloise"],
                    signed_on=TODAY - timedelta(days=200),
                    employer_id="e1",
                    contract_type="permanent",
                    hours_per_week=38,
                    check_due=TODAY - timedelta(days=17),
                )
            ],
        )
    mine = anne.caseload()
    assert mine["counsellor"] == "anne.counsellor" and mine["active"] == 2 == mine["total"]
    assert mine["by_stage"]["accueil"] == 1 and mine["by_stage"]["orientation"] == 1
    assert sum(mine["by_stage"].values()) == 2
    due = {i["id"]: i["next_due"] for i in mine["items"]}
    assert due[people["eloise"]] == {
        "kind": "six_month_check",
        "due_on": (TODAY - timedelta(days=17)).isoformat(),
        "overdue": True,
    }
    assert due[people["francois"]] is None
    assert {i["id"] for i in bruno.caseload()["items"]} == {people["jean"], people["marie"]}
    assert {i["id"] for i in anne.caseload("bruno.counsellor")["items"]} == {people["jean"], people["marie"]}


def test_what_is_due_lists_overdue_first_and_counts_by_kind(store, people):
    anne = as_(store, ANNE)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(Contract),
            [
                dict(
                    beneficiary_id=people["jean"],
                    signed_on=TODAY - timedelta(days=170),
                    employer_id="e1",
                    contract_type="permanent",
                    hours_per_week=38,
                    check_due=TODAY + timedelta(days=10),
                    checked_on=None,
                    still_employed=None,
                ),
                dict(  # already checked: nothing due
                    beneficiary_id=people["marie"],
                    signed_on=TODAY - timedelta(days=300),
                    employer_id="e1",
                    contract_type="permanent",
                    hours_per_week=38,
                    check_due=TODAY - timedelta(days=100),
                    checked_on=TODAY - timedelta(days=90),
                    still_employed=True,
                ),
            ],
        )
    plan = dict(
        target_occupations=["F1703"],
        contract_wishes=["permanent"],
        mobility_km=20,
        agreed_with_person=True,
    )
    overdue_action = {"kind": "job_search", "description": "CV", "due": (TODAY - timedelta(days=3)).isoformat()}
    far_action = {"kind": "job_search", "description": "CV", "due": (TODAY + timedelta(days=90)).isoformat()}
    anne.agree_plan(people["eloise"], dict(plan, actions=[overdue_action]))
    anne.agree_plan(people["francois"], dict(plan, actions=[overdue_action]))
    anne.agree_plan(people["francois"], dict(plan, actions=[far_action]))  # renewed: the old version is not due

    mission = anne.due()
    assert [(i["kind"], i["person"]["id"], i["overdue"]) for i in mission["items"]] == [
        ("plan_review", people["eloise"], True),
        ("six_month_check", people["jean"], False),
    ]
    assert mission["counts"] == {
        "six_month_check": {"overdue": 0, "due": 1},
        "plan_review": {"overdue": 1, "due": 0},
    }
    assert [i["person"]["id"] for i in anne.due("bruno.counsellor")["items"]] == [people["jean"]]
    assert anne.due(horizon_days=5)["counts"]["six_month_check"] == {"overdue": 0, "due": 0}
    assert len(anne.due(horizon_days=120)["items"]) == 3
    with pytest.raises(ValidationFailed) as bad:
        anne.due(horizon_days=10_000)
    assert set(bad.value.errors) == {"horizon_days"}
    with store.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(PlanVersion)) == 3


def test_the_migration_fills_the_search_key_and_review_date_of_rows_written_before_it(tmp_path):
    url = f"sqlite:///{tmp_path}/old.sqlite"
    command.upgrade(alembic_config("beneficiary", url), "0006")
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO beneficiary (id, niss, pseudonym, pseudonym_key, first_name, last_name, birth_date,"
                " gender, municipality, registered_on, created_at, stage, status, counsellor)"
                " VALUES ('p1', '85073003361', 'x', '', 'Zoé', 'Çelik-Ørsted', '1985-07-30', 'F', '52011',"
                " '2026-01-05', :now, 'accueil', 'active', 'anne')"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO plan_version (beneficiary_id, version, target_occupations, missing_competences, actions,"
                " contract_wishes, mobility_km, agreed_by, agreed_at, agreed_with_person)"
                " VALUES ('p1', 1, '[]', '[]', :actions, '[]', 10, 'anne', :now, 1)"
            ),
            {"actions": '[{"due": "2026-03-01"}, {"due": null}, {"due": "2026-02-01"}]', "now": now},
        )
    upgrade("beneficiary", url)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT search_name FROM beneficiary")) == search_key("Zoé", "Çelik-Ørsted")
        assert conn.scalar(sa.text("SELECT review_due FROM plan_version")) == "2026-02-01"
        assert conn.scalar(sa.text("SELECT plan_review_due FROM beneficiary")) == "2026-02-01"
    engine.dispose()
    assert search_key("Zoé", "Çelik-Ørsted") == "zoe celik orsted"


def test_a_persons_assessments_are_listed_latest_first(store, people):
    anne = as_(store, ANNE)
    competence = {"code": "900001", "level": 2, "kind": "technical", "source": "work"}
    first = anne.assess(people["eloise"], {"competences": [competence], "assessed_on": TODAY.isoformat()})
    assert anne.list_assessments(people["francois"]) == []
    listed = anne.list_assessments(people["eloise"])
    assert [(a["id"], a["assessed_by"], a["competences"]) for a in listed] == [
        (first["id"], "anne.counsellor", [competence])
    ]
    with pytest.raises(Forbidden):
        as_(store, Actor("eric.agent", "mirec", ("employer_relations",))).list_assessments(people["eloise"])
