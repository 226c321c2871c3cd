"""Gaps into the plan: the default action rule, the checks of the codes chosen, and the use case called directly
(migrated SQLite, fixed clock, matching's explanation given as it would answer; no broker)."""

from datetime import date

import pytest
from beneficiary import application as app
from beneficiary import domain, gaps, schemas
from beneficiary.models import PlanVersion
from sqlalchemy import select

from kit import inputs
from kit.actor import Actor
from kit.application import to_outbox
from kit.errors import Conflict, ValidationFailed
from kit.storage import outbox
from kit.testing import FixedClock, migrated, session
from runtime.demo import DemoFactory

SOURCE = "/missions/mirec/beneficiary"
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
WALL, PLAN_READING, MORTAR, FORMWORK, TEAM = "900001", "900002", "900003", "900004", "900006"
VACANCY = {"kind": "vacancy", "vacancy_id": "v-1", "proposal_id": None, "occupation": "F1703", "title": "Maçon"}


def gap(code, essential=False, rare=False, required_level=1, level=None):
    item = {"code": code, "label": f"compétence {code}", "required_level": required_level}
    item |= {"rare": rare, "essential": essential}
    return item if level is None else item | {"level": level}


# -- the rule ---------------------------------------------------------------
def test_a_gap_becomes_remise_a_niveau_formation_or_stage_by_the_documented_rule():
    # Held under the level asked: there is a base to build on, whatever else is true of it.
    assert domain.default_gap_action(gap(MORTAR, essential=True, rare=True, required_level=3, level=2)) == (
        "remise_a_niveau"
    )
    assert domain.default_gap_action(gap(FORMWORK, essential=True)) == "alternating_training"
    assert domain.default_gap_action(gap(FORMWORK, rare=True)) == "alternating_training"
    assert domain.default_gap_action(gap(TEAM)) == "confirmation_internship"
    assert set(domain.GAP_ACTIONS) <= set(schemas.enums.PLAN_ACTIONS)


def test_a_chosen_code_must_be_missing_for_the_source_and_not_held_by_the_latest_assessment():
    missing = {MORTAR: gap(MORTAR, required_level=3, level=2), FORMWORK: gap(FORMWORK, required_level=2)}
    assert domain.gap_choice_errors([MORTAR, FORMWORK], missing, {MORTAR: 2}) == {}
    refused = domain.gap_choice_errors([FORMWORK, TEAM, FORMWORK, MORTAR], missing, {FORMWORK: 2, MORTAR: 1})
    # Matching said FORMWORK is missing, but an assessment newer than what matching heard of holds it.
    assert refused == {
        0: "the person already holds this competence (latest assessment)",
        1: "not missing for this source: matching finds it held, or not asked for",
        2: "chosen twice",
    }


def test_an_action_keeps_the_explanation_in_the_counsellors_words():
    action = domain.gap_action(gap(MORTAR, rare=True, required_level=3, level=2), "remise_a_niveau", None, VACANCY)
    assert action == {
        "kind": "remise_a_niveau",
        "description": f"compétence {MORTAR} — manquant pour Maçon",
        "due": None,
        "gap": {
            "code": MORTAR,
            "label": f"compétence {MORTAR}",
            "missing_for": "Maçon",
            "source": {"kind": "vacancy", "vacancy_id": "v-1", "proposal_id": None, "occupation": "F1703"},
            "essential": False,
            "rare": True,
            "required_level": 3,
            "level": 2,
        },
    }


def test_the_request_names_one_source_and_at_least_one_gap():
    with pytest.raises(ValidationFailed) as refused:
        inputs.load(schemas.PlanGapsSchema(), {"plan_version": 1, "gaps": [], "agreed_with_person": True})
    assert set(refused.value.errors) == {"gaps", "source"}
    with pytest.raises(ValidationFailed) as refused:
        body = {"plan_version": 1, "vacancy_id": "v", "occupation": "F1703", "agreed_with_person": True}
        inputs.load(schemas.PlanGapsSchema(), body | {"gaps": [{"code": "nope", "kind": "job_search"}]})
    assert set(refused.value.errors) == {"gaps", "source"}
    assert set(refused.value.errors["gaps"][0]) == {"code", "kind"}


# -- the use case -----------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    with migrated("beneficiary", f"sqlite:///{tmp_path}/beneficiary.sqlite") as store:
        yield store


def planned(store, clock):
    """A person assessed (walls 3, mortar 2) with a first plan; the person's file id."""
    with session(store) as s, s.begin():
        intake = inputs.load(
            schemas.IntakeSchema(), DemoFactory(seed=25).beneficiary() | {"registered_on": "2026-01-05"}
        )
        who = to_outbox(s, app.register(s, COUNSELLOR, clock, SOURCE, intake))
        competences = [
            {"code": WALL, "level": 3, "kind": "technical", "source": "work"},
            {"code": MORTAR, "level": 2, "kind": "technical", "source": "work"},
        ]
        app.assess(s, COUNSELLOR, clock, SOURCE, who, {"assessed_on": None, "competences": competences})
        plan = {
            "target_occupations": ["F1703"],
            "missing_competences": [],
            "actions": [{"kind": "job_search", "description": "Chantiers", "due": None}],
            "contract_wishes": ["permanent"],
            "hours_wish": 38,
            "mobility_km": 20,
            "available_from": None,
            "agreed_with_person": True,
        }
        app.agree_plan(s, COUNSELLOR, clock, SOURCE, who, plan)
        return who.id


def from_gaps(store, clock, ref, chosen, explained, version=1):
    data = inputs.load(
        schemas.PlanGapsSchema(),
        {"plan_version": version, "vacancy_id": "v-1", "gaps": chosen, "agreed_with_person": True},
    )
    with session(store) as s, s.begin():
        who = app.person(s, ref)
        return to_outbox(s, gaps.plan_from_gaps(s, COUNSELLOR, clock, SOURCE, who, data, explained))


def versions(store, ref):
    with session(store) as s:
        return list(s.scalars(select(PlanVersion.version).where(PlanVersion.beneficiary_id == ref)))


def test_the_next_version_is_the_current_plan_plus_one_action_per_gap(store):
    clock = FixedClock()
    ref = planned(store, clock)
    explained = {"source": VACANCY, "missing": [gap(MORTAR, required_level=3, level=2), gap(FORMWORK, essential=True)]}
    plan = from_gaps(store, clock, ref, [{"code": FORMWORK, "due": "2026-06-01"}, {"code": MORTAR}], explained)
    assert plan.version == 2 and plan.agreed_by == "anne.counsellor" and plan.review_due == date(2026, 6, 1)
    assert [a["kind"] for a in plan.actions] == ["job_search", "alternating_training", "remise_a_niveau"]
    assert plan.missing_competences == [FORMWORK, MORTAR] and plan.mobility_km == 20
    with session(store) as s:
        published = s.execute(select(outbox.c.routing_key, outbox.c.payload).order_by(outbox.c.seq)).all()
    plans = [payload for key, payload in published if key == "be.mire.beneficiary.plan_agreed.v1"]
    # The first plan was agreed without its event here; the new version's goes through the outbox.
    assert len(plans) == 1 and '"version":2' in plans[0].replace(" ", "")


def test_a_refused_choice_or_a_stale_version_writes_nothing(store):
    clock = FixedClock()
    ref = planned(store, clock)
    explained = {"source": VACANCY, "missing": [gap(FORMWORK, essential=True)]}
    with pytest.raises(ValidationFailed) as refused:
        from_gaps(store, clock, ref, [{"code": FORMWORK}, {"code": WALL}], explained)
    assert refused.value.errors == {"gaps": {1: {"code": [domain.gap_choice_errors([WALL], {}, {})[0]]}}}
    with pytest.raises(Conflict) as stale:
        from_gaps(store, clock, ref, [{"code": FORMWORK}], explained, version=2)
    assert stale.value.field == "plan_version" and "version 1 is current" in stale.value.message
    assert versions(store, ref) == [1]
