"""Employer search and prospection next actions due, on the service class with a real migrated SQLite database.

Through the gateway on the real broker, SQLite and PostgreSQL: ``tests/integration/test_search_and_due.py``.
"""

from datetime import date, timedelta

import pytest
from employer.service import EmployerService

from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from kit.testing import migrated, worker
from runtime.demo import DemoFactory

ERIC = Actor("eric.agent", "mirec", ("employer_relations",))
ZOE = Actor("zoe.agent", "mirec", ("employer_relations",))
TODAY = date.today()


@pytest.fixture
def store(tmp_path):
    with migrated("employer", f"sqlite:///{tmp_path}/employer.sqlite") as store:
        yield store


def as_(store, actor):
    return worker(EmployerService, store, actor, site="mirec", mission="mirec")


@pytest.fixture
def employers(store):
    eric, zoe = as_(store, ERIC), as_(store, ZOE)
    made = {
        "boulangerie": eric.register(dict(DemoFactory(seed=1).employer("50000"), name="Boulangerie Lœwe & Fils")),
        "chantiers": eric.register(
            dict(
                DemoFactory(seed=2).employer("50000"), name="Les Chantiers Réunis", nace="43.221", municipality="52011"
            )
        ),
        "crèche": zoe.register(
            dict(DemoFactory(seed=3).employer("50000"), name="Crèche « Les Pousses »", nace="88.911")
        ),
    }
    return {name: body for name, body in made.items()}


def names(result):
    return [i["name"] for i in result["items"]]


def test_employers_by_name_number_sector_municipality_and_manager(store, employers):
    eric = as_(store, ERIC)
    assert names(eric.search({"q": "LOEWE"})) == ["Boulangerie Lœwe & Fils"]
    assert names(eric.search({"q": "reunis chant"})) == ["Les Chantiers Réunis"]
    assert names(eric.search({"q": "creche pousses"})) == ["Crèche « Les Pousses »"]
    number = employers["chantiers"]["enterprise_number"]
    dotted = f"BE {number[:4]}.{number[4:7]}.{number[7:]}"
    assert names(eric.search({"enterprise_number": dotted})) == ["Les Chantiers Réunis"]
    assert names(eric.search({"nace": "43"})) == names(eric.search({"nace": "43.2"})) == ["Les Chantiers Réunis"]
    assert names(eric.search({"nace": "43.221"})) == ["Les Chantiers Réunis"]
    assert names(eric.search({"municipality": "52011"})) == ["Les Chantiers Réunis"]
    assert names(eric.search({"account_manager": "zoe.agent"})) == ["Crèche « Les Pousses »"]
    assert eric.search({})["total"] == 3
    counsellor = as_(store, Actor("anne.counsellor", "mirec", ("counsellor",)))
    assert counsellor.search({"q": "les"})["total"] == 2
    with pytest.raises(ValidationFailed) as bad:
        eric.search({"q": "«»", "enterprise_number": "12", "nace": "construction", "municipality": "6000"})
    assert set(bad.value.errors) == {"q", "enterprise_number", "nace", "municipality"}
    with pytest.raises(Forbidden):
        as_(store, Actor("sam.social", "mirec", ("social_worker",))).search({})


def test_next_actions_fall_due_until_a_later_contact_and_overdue_ones_come_first(store, employers):
    eric, zoe = as_(store, ERIC), as_(store, ZOE)

    def visit(agent, key, days_ago, due_in, action="rappeler"):
        return agent.log_prospection(
            employers[key]["id"],
            {
                "kind": "visit",
                "on": (TODAY - timedelta(days=days_ago)).isoformat(),
                "summary": "visite",
                "next_action": action,
                "next_action_due": (TODAY + timedelta(days=due_in)).isoformat(),
            },
        )

    visit(eric, "boulangerie", 20, -5, "envoyer deux profils")
    visit(eric, "chantiers", 30, -10)  # followed by a later call: done
    visit(eric, "chantiers", 2, 12, "confirmer la date")
    visit(zoe, "crèche", 1, 60)  # beyond the horizon
    due = eric.due()
    assert [(i["employer"]["name"], i["next_action"], i["overdue"]) for i in due["items"]] == [
        ("Boulangerie Lœwe & Fils", "envoyer deux profils", True),
        ("Les Chantiers Réunis", "confirmer la date", False),
    ]
    assert due["counts"] == {"prospection_next_action": {"overdue": 1, "due": 1}}
    assert eric.due("zoe.agent")["items"] == []
    assert len(eric.due("zoe.agent", 90)["items"]) == 1
    with pytest.raises(ValidationFailed):
        eric.due(horizon_days=-1)
