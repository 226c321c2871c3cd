"""A person's whole path through a real Mission site: intake to the six-month check, notes, erasure.

Also the privacy promises: no national number, name or note text in any
event, log line or agency delivery; notes and sensitive evidence only for
the roles allowed; another Mission's counsellor sees nothing; erasure leaves
no personal data behind.
"""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kit.actor import Actor
from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runtime.demo import DemoFactory
from tests.harness import wait_until

pytestmark = pytest.mark.integration

NOTE = "Situation familiale difficile, suivi CPAS en cours — confidentiel"
SOCIAL_WORKER = Actor("sami.social", "mirec", ("social_worker",))
PROJECT_LEAD = Actor("paula.lead", "mirec", ("project_lead",))
DIRECTOR = Actor("dora.director", "mirec", ("director",))
OTHER_MISSION = Actor("nora.counsellor", "mirena", ("counsellor",))


def person_registered_months_ago(months: int) -> dict:
    person = DemoFactory(seed=31).beneficiary("50000")
    person["registered_on"] = (date.today() - timedelta(days=31 * months)).isoformat()
    person["target_groups"] = [
        {"group": "long_term_unemployed", "evidence": "inscrit depuis 2023", "since": "2023-01-10"},
        {"group": "justice_measure", "evidence": "mesure judiciaire alternative", "since": "2024-05-01"},
    ]
    person["referrer_type"] = "justice_service"
    person["disclosures"] = [
        {
            "agency": "forem",
            "basis": "legal_basis",
            "reference": "décret MIRE art. 5",
            "agency_reference": "FOR-123456",
            "given_on": person["registered_on"],
        }
    ]
    return person


def outbox_types(platform, subject_ids):
    engine = platform.engine("mirec", "beneficiary")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT audience, routing_key, payload FROM outbox ORDER BY seq")).all()
    engine.dispose()
    return [(r.audience, r.routing_key) for r in rows if json.loads(r.payload)["subject"] in subject_ids], rows


def test_full_path_from_intake_to_confirmed_six_month_outcome(platform):
    platform.start("mirec")
    rpc = platform.rpc
    data = person_registered_months_ago(8)
    person = rpc("mirec", "beneficiary", "register", data)
    pid = person["id"]
    assert person["stage"] == "accueil" and person["status"] == "active"

    with pytest.raises(Conflict) as again:
        rpc("mirec", "beneficiary", "register", data)
    assert again.value.existing == pid

    assert (
        rpc(
            "mirec",
            "beneficiary",
            "assess",
            pid,
            {
                "competences": [
                    {"code": "900001", "level": 2, "kind": "technical", "source": "work"},
                    {"code": "900002", "level": 3, "kind": "behavioural", "source": "other"},
                ]
            },
        )["competences"]
        == 2
    )
    plan = {
        "target_occupations": ["F1703"],
        "missing_competences": ["900003"],
        "actions": [{"kind": "confirmation_internship", "description": "deux semaines chez un maçon"}],
        "contract_wishes": ["permanent", "fixed_term"],
        "mobility_km": 25,
        "agreed_with_person": True,
    }
    assert rpc("mirec", "beneficiary", "agree_plan", pid, plan)["version"] == 1
    assert rpc("mirec", "beneficiary", "agree_plan", pid, dict(plan, mobility_km=40))["version"] == 2
    assert [p["mobility_km"] for p in rpc("mirec", "beneficiary", "list_plans", pid)] == [25, 40]

    for stage in ("orientation", "formation"):  # préformation skipped: allowed
        rpc("mirec", "beneficiary", "move_stage", pid, {"to": stage, "why": "projet confirmé"})
    rpc("mirec", "beneficiary", "drop_out", pid, {"reason": "family"})
    with pytest.raises(ValidationFailed) as twice:
        rpc("mirec", "beneficiary", "drop_out", pid, {"reason": "family"})
    assert "status" in twice.value.errors
    assert rpc("mirec", "beneficiary", "move_stage", pid, {"to": "formation", "why": "retour"})["status"] == "active"
    rpc("mirec", "beneficiary", "move_stage", pid, {"to": "placement"})
    pathway = rpc("mirec", "beneficiary", "get_pathway", pid)
    assert [t["kind"] for t in pathway["transitions"]] == [
        "entered",
        "moved",
        "moved",
        "dropped_out",
        "reentered",
        "moved",
    ]
    assert all(t["by"] == "test-counsellor" and t["role"] == "counsellor" for t in pathway["transitions"][1:])

    signed_on = date.today() - timedelta(days=200)
    contract = rpc(
        "mirec",
        "beneficiary",
        "record_contract",
        pid,
        {
            "signed_on": signed_on.isoformat(),
            "employer_id": platform.new_employer("mirec", seed=81),
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
    )
    assert contract["check_due"] > signed_on.isoformat()
    with pytest.raises(ValidationFailed) as early:
        rpc(
            "mirec",
            "beneficiary",
            "record_six_month_check",
            pid,
            {"checked_on": (signed_on + timedelta(days=30)).isoformat(), "still_employed": True, "source": "phone"},
        )
    assert "checked_on" in early.value.errors
    done = rpc(
        "mirec",
        "beneficiary",
        "record_six_month_check",
        pid,
        {"checked_on": date.today().isoformat(), "still_employed": True, "source": "employer"},
    )
    assert done["still_employed"] is True

    types, _ = outbox_types(platform, {pid, "FOR-123456"})
    internal = [t.split(".")[3] for a, t in types if a == "internal"]
    assert internal == [
        "registered",
        "assessed",
        "plan_agreed",
        "plan_agreed",
        "stage_changed",
        "stage_changed",
        "dropped_out",
        "stage_changed",
        "stage_changed",
        "contract_signed",
        "employment_confirmed_6m",
    ]
    agency = [t for a, t in types if a == "agency"]
    assert agency == [
        "forem.be.mire.beneficiary.registered.v1",
        "forem.be.mire.beneficiary.dropped_out.v1",
        "forem.be.mire.beneficiary.contract_signed.v1",
        "forem.be.mire.beneficiary.employment_confirmed_6m.v1",
    ]
    # The Mission's reporting logged every internal fact; every outbox row was delivered.
    wait_until(
        lambda: sum(platform.rpc("mirec", "reporting", "indicators")["facts"].values()) == len(internal),
        what="reporting to log every fact",
    )
    # A consumer can see an event before the relay has recorded its confirm: wait for the outbox to drain.
    wait_until(
        lambda: platform.scalar("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        what="every outbox row confirmed",
    )


def test_notes_evidence_and_missions_are_guarded_and_nothing_personal_leaves(platform):
    site = platform.start("mirec")
    rpc = platform.rpc
    data = person_registered_months_ago(2)
    pid = rpc("mirec", "beneficiary", "register", data)["id"]
    rpc("mirec", "beneficiary", "add_note", pid, {"kind": "social", "text": NOTE}, actor=SOCIAL_WORKER)
    assert [n["text"] for n in rpc("mirec", "beneficiary", "list_notes", pid, "social")] == [NOTE]
    with pytest.raises(Forbidden):
        rpc("mirec", "beneficiary", "list_notes", pid, "social", actor=PROJECT_LEAD)
    with pytest.raises(Forbidden):
        rpc(
            "mirec",
            "beneficiary",
            "add_note",
            pid,
            {"kind": "social", "text": "Note refusée au chef de projet"},
            actor=PROJECT_LEAD,
        )

    evidence = {g["group"]: g["evidence"] for g in rpc("mirec", "beneficiary", "get", pid)["target_groups"]}
    assert evidence["justice_measure"] == "mesure judiciaire alternative"
    hidden = {
        g["group"]: g["evidence"] for g in rpc("mirec", "beneficiary", "get", pid, actor=PROJECT_LEAD)["target_groups"]
    }
    assert hidden == {"long_term_unemployed": "inscrit depuis 2023", "justice_measure": None}

    # A counsellor of another Mission, or a call with no identity, gets nothing.
    for actor in (OTHER_MISSION, Actor(None, "mirec", ())):
        with pytest.raises(Forbidden):
            rpc("mirec", "beneficiary", "get", pid, actor=actor)
    with pytest.raises(ValidationFailed) as mass:
        rpc("mirec", "beneficiary", "register", dict(DemoFactory(seed=32).beneficiary(), status="exited"))
    assert mass.value.errors == {"status": ["Unknown field."]}

    # Every read of personal data is audited: who, role, purpose, subject.
    audits = platform.scalar(
        "mirec", "beneficiary", "SELECT count(*) FROM audit WHERE subject = :s AND action = 'beneficiary.read'", s=pid
    )
    assert audits == 2

    # What left the Mission for Le Forem: the agency's own reference, generalised referrer, no sensitive group.
    agencies = platform.registry.agencies_vhost
    wait_until(lambda: platform.queue_depth(agencies, "forem.events") >= 1, what="the agency event")
    delivered = [json.loads(m["payload"]) for m in platform.get_messages(agencies, "forem.events")]
    assert delivered[0]["data"]["agency_reference"] == "FOR-123456"
    assert delivered[0]["data"]["referrer_type"] == "partner"
    assert delivered[0]["data"]["target_groups"] == ["long_term_unemployed"]

    _, rows = outbox_types(platform, set())
    secrets = [data["niss"], data["first_name"], data["last_name"], NOTE, "mesure judiciaire"]
    leaked_places = [json.dumps(delivered, ensure_ascii=False), site.log] + [r.payload for r in rows]
    for place in leaked_places:
        for secret in secrets:
            assert secret not in place


def test_erasure_leaves_no_personal_data_and_the_mission_forgets(platform):
    platform.start("mirec")
    rpc = platform.rpc
    data = person_registered_months_ago(3)
    pid = rpc("mirec", "beneficiary", "register", data)["id"]
    rpc("mirec", "beneficiary", "add_note", pid, {"kind": "social", "text": NOTE}, actor=SOCIAL_WORKER)
    rpc("mirec", "beneficiary", "move_stage", pid, {"to": "orientation"})
    with pytest.raises(Forbidden):
        rpc("mirec", "beneficiary", "erase", pid)  # a counsellor may not erase
    wait_until(
        lambda: platform.rpc("mirec", "reporting", "indicators")["facts"].get("stage_changed") == 1,
        what="the facts to reach reporting",
    )
    assert rpc("mirec", "beneficiary", "erase", pid, actor=DIRECTOR) == {"erased": pid}
    with pytest.raises(NotFound):
        rpc("mirec", "beneficiary", "get", pid)

    engine = platform.engine("mirec", "beneficiary")
    with engine.connect() as conn:
        dump = []
        for table in sa.inspect(conn).get_table_names():
            dump += [str(tuple(row)) for row in conn.execute(sa.text(f'SELECT * FROM "{table}"'))]
        residue = conn.execute(sa.text("SELECT count(*) FROM erasure_residue")).scalar()
    engine.dispose()
    text = "\n".join(dump)
    for secret in (data["niss"], data["first_name"], data["last_name"], NOTE, "FOR-123456"):
        assert secret not in text
    assert residue == 1
    wait_until(
        lambda: platform.scalar("mirec", "reporting", "SELECT count(*) FROM fact WHERE subject = :s", s=pid) == 0,
        what="reporting to forget the person",
    )
    assert platform.scalar("mirec", "reporting", "SELECT count(*) FROM fact WHERE subject = 'erased'") >= 2


def test_lists_disclosures_and_exit(platform):
    platform.start("mirec", services=["beneficiary", "reporting"])
    rpc = platform.rpc
    factory = DemoFactory(seed=41)
    ids = [rpc("mirec", "beneficiary", "register", factory.beneficiary("50000"))["id"] for _ in range(3)]
    page = rpc("mirec", "beneficiary", "list_beneficiaries", 1, 2)
    assert page["total"] == 3 and len(page["items"]) == 2
    assert set(page["items"][0]) == {"id", "first_name", "last_name", "stage", "status"}
    with pytest.raises(ValidationFailed) as too_big:
        rpc("mirec", "beneficiary", "list_beneficiaries", 1, 1_000_000)
    assert "page_size" in too_big.value.errors
    assert rpc("mirec", "beneficiary", "count") == 3

    pid = ids[0]
    consent = {
        "agency": "actiris",
        "basis": "consent",
        "reference": "formulaire signé 2026-11-02",
        "agency_reference": "ACT-778",
        "given_on": date.today().isoformat(),
    }
    assert rpc("mirec", "beneficiary", "record_disclosure", pid, consent)["agency"] == "actiris"
    with pytest.raises(Conflict):
        rpc("mirec", "beneficiary", "record_disclosure", pid, consent)
    assert rpc("mirec", "beneficiary", "withdraw_disclosure", pid, "actiris")["withdrawn_on"]
    disclosures = rpc("mirec", "beneficiary", "get", pid)["disclosures"]
    assert [d["withdrawn_on"] is not None for d in disclosures] == [True]

    assert rpc("mirec", "beneficiary", "exit_path", pid, {"reason": "moved"}) == {"status": "exited"}
    with pytest.raises(ValidationFailed) as closed:
        rpc("mirec", "beneficiary", "move_stage", pid, {"to": "orientation"})
    assert "closed" in closed.value.errors["to"][0]
