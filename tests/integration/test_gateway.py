"""The gateway on running services: the authorisation matrix, every service's operations over HTTP, request ids,
the Mission wall on real objects, and the limits (429, 504).

One throwaway platform serves the whole module (MIREC's five services and
InterMire, real broker, real databases); the gateway runs in the test
process (its WSGI app, through werkzeug's test client) and calls them over
the broker. What the gateway decides before any RPC is in
``tests/unit/test_gateway_http.py``.
"""

import json
import logging
import signal
import time
import uuid
from datetime import date, timedelta

import eventlet
import pytest
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import mint
from gateway.routes import ROUTES
from kit.actor import Actor
from kit.errors import Forbidden
from kit.permissions import POLICY
from kit.taxonomy import DEMO_DIR, load
from runtime.demo import DemoFactory
from tests.harness import DEVELOPMENT_ENV, module_platform, wait_until

pytestmark = pytest.mark.integration
ROLES = sorted({role for roles in POLICY.values() for role in roles} | {"forem", "actiris"})
UNKNOWN_REF = "00000000-0000-0000-0000-000000000000"
OPERATOR_BCE = "0403170701"
CODE = {label: code for code, label in load(str(DEMO_DIR)).competences.items()}
WALL, MORTAR = CODE["Monter un mur en blocs"], CODE["Préparer un mortier ou un béton"]
# A filler body that gets the argument builders of every route through to the RPC (values refused later).
FILLER = {
    "reason": "other",
    "period": "2026",
    "version": 1,
    "beneficiary_id": UNKNOWN_REF,
    "vacancy_id": UNKNOWN_REF,
    "to": "presented",
    "offers": [],
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    yield from module_platform(tmp_path_factory, "gateway", {"mirec": None, "intermire": None})


@pytest.fixture(scope="module")
def app(platform):
    # The matrix sends its cells concurrently: a pool of 16 proxies per site.
    gateway = Gateway(
        platform.registry,
        environ={
            **DEVELOPMENT_ENV,
            "PASSERELLE_RATE_PER_SECOND": "100000",
            "PASSERELLE_RATE_BURST": "100000",
            "PASSERELLE_MAX_BODY": "65536",
            "PASSERELLE_RPC_POOL_SIZE": "16",
        },
    )
    yield gateway
    gateway.rpc_clients.close()


@pytest.fixture
def client(app):
    return Client(app)


def auth(sub="anne", mission="mirec", roles=("counsellor",)):
    # A partner's token names its organisation (gateway.auth refuses one that does not).
    organisation = "org-partner-1" if "partner" in roles else None
    return {"Authorization": f"Bearer {mint(sub, mission, list(roles), organisation=organisation)}"}


def as_role(role, mission="mirec"):
    return auth(f"t-{role}", mission, [role])


def concrete(path: str, code: str = "mirec") -> str:
    filled = path.replace("<code>", code).replace("<id>", UNKNOWN_REF).replace("<agency>", "forem")
    filled = filled.replace("<contact_id>", UNKNOWN_REF).replace("<orientation_id>", UNKNOWN_REF)
    filled = filled.replace("<service_id>", UNKNOWN_REF)
    return filled.replace("<name>", "entries").replace("<period>", "2026-Q1")


def test_authorisation_matrix_has_no_unexpected_allow(client):
    """Every route × role × owning Mission: allowed exactly where the policy table says, nowhere else."""
    cells = []
    for route in ROUTES:
        for role in ROLES:
            for owner in ("own", "other"):
                if route.scope == "intermire":
                    mission = "intermire" if owner == "own" else "mirec"
                else:
                    mission = "mirec" if owner == "own" else "mirena"
                cells.append((route, role, owner, mission))

    def one(cell):
        route, role, owner, mission = cell
        reply = client.open(
            concrete(route.path),
            method=route.method,
            headers=as_role(role, mission),
            data="{}",
            content_type="application/json",
        )
        return cell, reply.status_code, (reply.json or {}).get("detail")

    started = time.monotonic()
    unexpected_allows, unexpected_denies, reached = [], [], 0
    for (route, role, owner, _), status, detail in eventlet.GreenPool(16).imap(one, cells):
        allowed = owner == "own" and role in POLICY[route.action]
        # Refused: no token accepted, the policy's 403, or the Mission wall's 404 (the same as a missing object).
        passed = status not in (401, 403) and not (status == 404 and detail == "no such resource")
        reached += passed
        if passed and not allowed:
            unexpected_allows.append((route.method, route.path, role, owner, status))
        if allowed and not passed:
            unexpected_denies.append((route.method, route.path, role, owner, status))
    print(
        f"authorisation matrix: {len(cells)} cells ({len(ROUTES)} routes × {len(ROLES)} roles × 2 owners), "
        f"{reached} allowed, {time.monotonic() - started:.1f} s"
    )
    assert len(cells) == len(ROUTES) * len(ROLES) * 2 > 1000
    assert unexpected_allows == []
    assert unexpected_denies == []


def test_services_recheck_the_policy_and_the_mission_without_the_gateway(platform):
    """The same table enforced by each service on the identity nameko carries: the gateway is not the only lock.

    Every refused caller (a role the policy leaves out, or the right role from another Mission) calling the
    RPC directly gets Forbidden; some writes check the shape of their input first and refuse a filler body
    with ValidationFailed, which tells nothing either. No refused call may be answered, nor learn whether
    an object exists (NotFound, Conflict).
    """
    routes = [r for r in ROUTES if r.scope == "mission"]
    required_query = {"title": "maçon", "period": "2026"}

    def one(cell):
        route, actor = cell
        params = {
            "id": UNKNOWN_REF,
            "contact_id": UNKNOWN_REF,
            "orientation_id": UNKNOWN_REF,
            "service_id": UNKNOWN_REF,
            "agency": "forem",
            "name": "entries",
            "period": "2026",
        }
        declared = route.query_schema().fields
        query = route.query_schema().load({k: v for k, v in required_query.items() if k in declared})
        args = route.args(params, query, dict(FILLER))
        try:
            platform.rpc("mirec", route.service, route.rpc, *args, actor=actor)
        except Forbidden:
            return cell, "Forbidden"
        except Exception as exc:
            return cell, type(exc).__name__
        return cell, "answered"

    work = []
    for route in routes:
        for role in ROLES:
            if role not in POLICY[route.action]:
                work.append((route, Actor(f"t-{role}", "mirec", (role,))))
        allowed = sorted(POLICY[route.action])[0]
        work.append((route, Actor(f"t-{allowed}", "mirena", (allowed,))))  # the right role, another Mission
    outcomes, wrong = {}, []
    for (route, actor), outcome in eventlet.GreenPool(8).imap(one, work):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if not (outcome == "Forbidden" or (outcome == "ValidationFailed" and route.body is not None)):
            wrong.append((route.service, route.rpc, actor.roles[0], actor.mission, outcome))
    print(f"service re-check: {len(work)} refused calls: {outcomes}")
    assert wrong == []
    assert outcomes["Forbidden"] > len(work) / 2


def test_another_missions_token_finds_nothing_of_a_real_object(client):
    person = DemoFactory(seed=62).beneficiary("50000")
    pid = client.post("/missions/mirec/beneficiaries", json=person, headers=auth()).json["id"]
    own = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth())
    assert own.status_code == 200 and own.json["last_name"] == person["last_name"]
    existing = client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth(mission="mirena"))
    missing = client.get(f"/missions/mirec/beneficiaries/{UNKNOWN_REF}", headers=auth(mission="mirena"))
    assert existing.status_code == missing.status_code == 404
    assert existing.json["detail"] == missing.json["detail"]
    # InterMire's analyst reaches sector aggregates only; agencies reach no personal data.
    for role, mission in (("intermire_analyst", "intermire"), ("forem", "mirec"), ("actiris", "mirec")):
        assert client.get(f"/missions/mirec/beneficiaries/{pid}", headers=as_role(role, mission)).status_code in (
            403,
            404,
        )
    sector = client.get("/intermire/indicators", headers=as_role("intermire_analyst", "intermire"))
    assert sector.status_code == 200 and pid not in sector.get_data(as_text=True)


def test_a_path_through_http_with_field_errors_notes_and_audit(client, caplog):
    person = DemoFactory(seed=61).beneficiary("50000")
    created = client.post("/missions/mirec/beneficiaries", json=person, headers=auth())
    assert created.status_code == 201
    pid = created.json["id"]
    again = client.post("/missions/mirec/beneficiaries", json=person, headers=auth())
    assert again.status_code == 409 and again.json["existing"] == pid
    assert again.headers["Content-Type"] == "application/problem+json"
    bad = client.post(
        "/missions/mirec/beneficiaries",
        json=dict(person, niss="12345678901", birth_date="2999-01-01", status="exited"),
        headers=auth(),
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"niss", "status"}  # the date check waits for valid fields
    assert "12345678901" not in bad.get_data(as_text=True)

    with caplog.at_level(logging.INFO, logger="gateway.audit"):
        got = client.get(f"/missions/mirec/beneficiaries/{pid}?purpose=orientation", headers=auth())
    assert got.status_code == 200
    line = json.loads(next(r.getMessage() for r in caplog.records if r.name == "gateway.audit"))
    assert (line["who"], line["roles"], line["purpose"]) == ("anne", ["counsellor"], "orientation")
    assert line["subject"] and pid not in json.dumps(line)  # a keyed pseudonym, not the reference

    note = client.post(
        f"/missions/mirec/beneficiaries/{pid}/notes/social",
        json={"text": "confidentiel"},
        headers=auth("sami", roles=("social_worker",)),
    )
    assert note.status_code == 201
    assert (
        client.get(
            f"/missions/mirec/beneficiaries/{pid}/notes/social", headers=auth("paula", roles=("project_lead",))
        ).status_code
        == 403
    )
    listed = client.get("/missions/mirec/beneficiaries?page=1&page_size=10", headers=auth())
    assert listed.status_code == 200 and listed.json["total"] >= 1 and len(listed.json["items"]) <= 10


def test_a_bis_intake_over_http_answers_its_kind_and_a_wrong_number_of_either_kind_names_both(client):
    """People without a national register number (newcomers, refugees) are taken in on their BIS number."""
    person = dict(DemoFactory(seed=68).beneficiary("50000"), birth_date="1988-04-17")
    bis = "88.24.17-" + person["niss"][6:9] + "."
    bis += f"{97 - int(bis.replace('.', '').replace('-', '')) % 97:02d}"
    created = client.post("/missions/mirec/beneficiaries", json=dict(person, niss=bis), headers=auth())
    assert created.status_code == 201, created.json
    assert created.json["niss_kind"] == "bis"
    got = client.get(f"/missions/mirec/beneficiaries/{created.json['id']}", headers=auth())
    digits = bis.replace(".", "").replace("-", "")
    assert got.json["niss_kind"] == "bis" and digits not in got.get_data(as_text=True), "the number is never answered"
    for wrong in (bis[:-2] + f"{(int(bis[-2:]) + 1) % 97:02d}", "88041712399"):  # a BIS, a national number
        bad = client.post("/missions/mirec/beneficiaries", json=dict(person, niss=wrong), headers=auth())
        assert bad.status_code == 422
        assert list(bad.json["errors"]) == ["niss"]
        assert "a national register number or a BIS number is accepted" in bad.json["errors"]["niss"][0]
        assert wrong not in bad.get_data(as_text=True)


def test_the_data_protection_officer_reviews_the_audit_and_nobody_else_does(client):
    pid = client.post("/missions/mirec/beneficiaries", json=DemoFactory(seed=69).beneficiary("50000"), headers=auth())
    pid = pid.json["id"]
    assert (
        client.get(
            f"/missions/mirec/beneficiaries/{pid}?purpose=orientation", headers=auth("sami", roles=("social_worker",))
        ).status_code
        == 200
    )
    dpo = as_role("dpo")
    today = date.today().isoformat()
    found = client.get(f"/missions/mirec/audit?subject={pid}&from={today}&to={today}", headers=dpo)
    assert found.status_code == 200, found.json
    assert [(e["user"], e["action"], e["purpose"]) for e in found.json["items"]] == [
        ("sami", "beneficiary.read", "orientation"),
        ("anne", "beneficiary.register", "accompaniment"),
    ]
    by_sami = client.get("/missions/mirec/audit?user=sami&page_size=1", headers=dpo).json
    assert by_sami["items"][0]["subject"] == pid and by_sami["page_size"] == 1
    for role in ("counsellor", "director", "social_worker", "intermire_analyst"):
        assert client.get(f"/missions/mirec/audit?subject={pid}", headers=as_role(role)).status_code == 403
    assert client.get("/missions/mirec/audit?from=2026-13-01", headers=dpo).status_code == 422


def test_a_user_opening_files_outside_their_caseload_is_shown_to_the_data_protection_officer(client):
    """Opening three files of anne's counts for zoe, not for anne; appearing in a search does not count."""
    people = [
        client.post("/missions/mirec/beneficiaries", json=DemoFactory(seed=90 + n).beneficiary("50000"), headers=auth())
        for n in range(3)
    ]
    ids = [answer.json["id"] for answer in people]
    zoe = auth("zoe", roles=("counsellor",))
    for pid in ids:
        assert client.get(f"/missions/mirec/beneficiaries/{pid}", headers=zoe).status_code == 200
        assert client.get(f"/missions/mirec/beneficiaries/{pid}", headers=auth()).status_code == 200
    assert client.post("/missions/mirec/beneficiaries/search", json={"q": "a"}, headers=auth("yves")).status_code == 200
    dpo = as_role("dpo")
    unusual = client.get("/missions/mirec/audit/unusual?files=3", headers=dpo)
    assert unusual.status_code == 200, unusual.json
    assert {"user": "zoe", "files": 3} in unusual.json
    assert not [u for u in unusual.json if u["user"] in ("anne", "yves")]
    assert not [u for u in client.get("/missions/mirec/audit/unusual?files=4", headers=dpo).json if u["user"] == "zoe"]
    assert client.get("/missions/mirec/audit/unusual", headers=as_role("director")).status_code == 403
    assert client.get("/missions/mirec/audit/unusual?files=0", headers=dpo).status_code == 422


def test_request_id_travels_to_the_services_logs(client, platform):
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    reply = client.post(
        "/missions/mirec/beneficiaries",
        json=DemoFactory(seed=63).beneficiary("50000"),
        headers={**auth(), "X-Request-Id": request_id},
    )
    assert reply.status_code == 201 and reply.headers["X-Request-Id"] == request_id
    site = next(s for s in platform.sites if s.code == "mirec")

    def lines():
        found = []
        for text in site.log.splitlines():
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if line.get("request_id") == request_id:
                found.append(line)
        return found

    found = wait_until(lines, timeout=10, what="a service log line with the request id")
    assert {line["service"] for line in found} == {"beneficiary"}
    assert any(line["message"].startswith("registered beneficiary") for line in found)
    assert found[0]["call_id_stack"][0] == f"gateway.{request_id}"


def test_a_training_project_over_http(client):
    agent, lead, director, counsellor = (
        as_role(r) for r in ("employer_relations", "project_lead", "director", "counsellor")
    )
    employer = client.post("/missions/mirec/employers", json=DemoFactory(seed=64).employer("50000"), headers=agent)
    assert employer.status_code == 201
    eid = employer.json["id"]
    vacancy = client.post(
        f"/missions/mirec/employers/{eid}/vacancies",
        headers=agent,
        json={
            "title": "Maçon",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 1,
        },
    )
    assert vacancy.status_code == 201 and vacancy.json["employer_id"] == eid
    assert client.post(f"/missions/mirec/vacancies/{vacancy.json['id']}/open", headers=agent).status_code == 200
    start, end = date.today() - timedelta(days=150), date.today() - timedelta(days=20)
    project = client.post(
        "/missions/mirec/projects",
        headers=lead,
        json={
            "title": "Maçons pour Gosselies",
            "vacancy_id": vacancy.json["id"],
            "employer_id": eid,
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 1,
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
            "training_convention": {
                "operators": [{"name": "Construform", "enterprise_number": OPERATOR_BCE}],
                "training_profile": "Maçon (SFMQ)",
                "specification": "Gros oeuvre",
                "hours_centre": 300,
                "hours_work": 220,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "trainees_planned": 1,
            },
        },
    )
    assert project.status_code == 201, project.json
    pid = project.json["id"]
    employer_c, training_c = (project.json["conventions"][k][0]["id"] for k in ("employer", "training"))

    changed = client.patch(f"/missions/mirec/conventions/{employer_c}", json={"hours_per_week": 36}, headers=lead)
    assert changed.status_code == 200 and changed.json["hours_per_week"] == 36
    assert client.patch(f"/missions/mirec/conventions/{employer_c}", json={"status": "signed"}, headers=lead).json[
        "errors"
    ] == {"status": ["Unknown field."]}
    early = client.post(
        f"/missions/mirec/conventions/{employer_c}/sign",
        headers=lead,
        json={"party": "employer", "signer_name": "Julie Lambert"},
    )
    assert early.status_code == 422 and list(early.json["errors"]) == ["status"]
    for convention, parties in (
        (employer_c, ("employer", "mission")),
        (training_c, (f"operator:{OPERATOR_BCE}", "mission")),
    ):
        assert client.post(f"/missions/mirec/conventions/{convention}/submit", headers=lead).status_code == 200
        for party in parties:
            signed = client.post(
                f"/missions/mirec/conventions/{convention}/sign",
                headers=director,
                json={"party": party, "signer_name": "Dora Director"},
            )
            assert signed.status_code == 200, signed.json
        assert signed.json["status"] == "signed"
        assert client.post(f"/missions/mirec/conventions/{convention}/activate", headers=lead).json["status"] == (
            "active"
        )
    assert (
        client.post(
            f"/missions/mirec/conventions/{employer_c}/sign",
            headers=counsellor,
            json={"party": "mission", "signer_name": "Anne"},
        ).status_code
        == 403
    )

    person = client.post(
        "/missions/mirec/beneficiaries", json=DemoFactory(seed=65).beneficiary("50000"), headers=counsellor
    ).json["id"]
    internship = client.post(
        f"/missions/mirec/projects/{pid}/internships",
        headers=counsellor,
        json={
            "beneficiary_id": person,
            "outcome": "confirmed",
            "start_date": (start - timedelta(days=15)).isoformat(),
            "end_date": (start - timedelta(days=5)).isoformat(),
        },
    )
    assert internship.status_code == 201
    trainee = client.post(
        f"/missions/mirec/projects/{pid}/trainees",
        headers=counsellor,
        json={
            "beneficiary_id": person,
            "start_date": start.isoformat(),
            "planned_end": end.isoformat(),
            "tutor": {"name": "Jean Lemaire", "function": "chef de chantier"},
        },
    )
    assert trainee.status_code == 201
    tid = trainee.json["id"]
    committee = client.post(
        f"/missions/mirec/projects/{pid}/committees",
        headers=lead,
        json={
            "kind": "follow_up",
            "held_on": (start + timedelta(days=45)).isoformat(),
            "attendees": ["mission", "employer", f"operator:{OPERATOR_BCE}"],
            "decisions": [{"trainee_id": tid, "kind": "remediation"}],
        },
    )
    assert committee.status_code == 201 and committee.json["absent"] == []
    assert (
        client.post(f"/missions/mirec/trainees/{tid}/complete", json={"on": end.isoformat()}, headers=lead).json[
            "status"
        ]
        == "completed"
    )
    assert client.post(f"/missions/mirec/conventions/{training_c}/complete", headers=lead).status_code == 200
    hired = client.post(
        f"/missions/mirec/trainees/{tid}/hire",
        headers=lead,
        json={"on": date.today().isoformat(), "contract_type": "permanent"},
    )
    assert hired.json["status"] == "hired"
    done = client.post(f"/missions/mirec/conventions/{employer_c}/complete", headers=lead)
    assert (done.json["status"], done.json["commitment_outcome"]) == ("completed", "fulfilled")

    assert (
        client.get(f"/missions/mirec/conventions/{employer_c}/commitment", headers=counsellor).json["hires_actual"] == 1
    )
    commitments = client.get(f"/missions/mirec/employers/{eid}/commitments?page_size=5", headers=director).json
    assert commitments["outcomes"] == {"fulfilled": 1} and commitments["page_size"] == 5
    listed = client.get(f"/missions/mirec/projects?employer_id={eid}", headers=agent).json
    assert [p["id"] for p in listed["items"]] == [pid]
    history = client.get(f"/missions/mirec/trainees/{tid}", headers=lead).json["transitions"]
    assert [t["to"] for t in history] == ["in_training", "completed", "hired"]
    full = client.get(f"/missions/mirec/conventions/{employer_c}", headers=lead).json
    assert [t["to"] for t in full["transitions"]][-1] == "completed"
    amended = client.post(
        f"/missions/mirec/conventions/{employer_c}/amendments", json={"hires_committed": 2}, headers=lead
    )
    assert amended.status_code == 422  # a completed convention is not amended
    assert (
        client.post(
            f"/missions/mirec/conventions/{employer_c}/cancel", json={"reason": "duplicate"}, headers=lead
        ).status_code
        == 422
    )


def test_matching_over_http(client):
    counsellor, agent = as_role("counsellor"), as_role("employer_relations")
    person = client.post(
        "/missions/mirec/beneficiaries", json=DemoFactory(seed=66).beneficiary("50000"), headers=counsellor
    ).json["id"]
    assert (
        client.post(
            f"/missions/mirec/beneficiaries/{person}/assessments",
            headers=counsellor,
            json={
                "competences": [
                    {"code": WALL, "level": 3, "kind": "technical", "source": "work"},
                    {"code": MORTAR, "level": 2, "kind": "technical", "source": "training"},
                ]
            },
        ).status_code
        == 201
    )
    plan = client.post(
        f"/missions/mirec/beneficiaries/{person}/plan",
        headers=counsellor,
        json={
            "target_occupations": ["F1703"],
            "actions": [{"kind": "job_search", "description": "Chantiers"}],
            "contract_wishes": ["permanent"],
            "mobility_km": 200,
            "agreed_with_person": True,
        },
    )
    assert plan.status_code == 201, plan.json
    eid = client.post("/missions/mirec/employers", json=DemoFactory(seed=67).employer("50000"), headers=agent).json[
        "id"
    ]
    vid = client.post(
        f"/missions/mirec/employers/{eid}/vacancies",
        headers=agent,
        json={
            "title": "Maçon",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 1,
            "competences": [{"code": WALL, "level": 2, "essential": True}],
        },
    ).json["id"]
    client.post(f"/missions/mirec/vacancies/{vid}/open", headers=agent)

    def ranked():
        reply = client.get(f"/missions/mirec/matching/vacancies/{vid}/candidates?limit=5", headers=counsellor)
        return reply.status_code == 200 and person in [c["beneficiary_id"] for c in reply.json] and reply.json

    wait_until(ranked, timeout=30, what="matching to rank the person for the vacancy")
    vacancies = client.get(f"/missions/mirec/matching/beneficiaries/{person}/vacancies", headers=agent).json
    assert vid in [v["vacancy_id"] for v in vacancies]
    proposal = client.post(
        "/missions/mirec/matching/proposals", json={"vacancy_id": vid, "beneficiary_id": person}, headers=agent
    )
    assert proposal.status_code == 201 and proposal.json["state"] == "proposed"
    pid = proposal.json["id"]
    assert (
        client.post(
            "/missions/mirec/matching/proposals", json={"vacancy_id": vid, "beneficiary_id": person}, headers=agent
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/missions/mirec/matching/proposals/{pid}/transitions", json={"to": "presented"}, headers=counsellor
        ).json["state"]
        == "presented"
    )
    no_reason = client.post(
        f"/missions/mirec/matching/proposals/{pid}/transitions", json={"to": "rejected"}, headers=counsellor
    )
    assert no_reason.status_code == 422 and list(no_reason.json["errors"]) == ["reason"]
    assert (
        client.post(
            f"/missions/mirec/matching/proposals/{pid}/transitions", json={"state": "hired"}, headers=counsellor
        ).status_code
        == 422
    )
    steps = client.get(f"/missions/mirec/matching/proposals/{pid}", headers=counsellor).json["steps"]
    assert [s["to"] for s in steps] == ["proposed", "presented"]
    listed = client.get(f"/missions/mirec/matching/proposals?vacancy_id={vid}", headers=counsellor).json
    assert [p["id"] for p in listed] == [pid]
    suggested = client.get(
        "/missions/mirec/matching/occupation-suggestions?title=aide%20ma%C3%A7on&limit=3", headers=agent
    ).json
    assert suggested[0]["code"] == "F1703"
    via_employer = client.get("/missions/mirec/occupation-suggestions?title=aide%20ma%C3%A7on", headers=agent).json
    assert via_employer[0]["code"] == "F1703"
    occupation = client.get("/missions/mirec/matching/occupations/F1703", headers=agent).json
    assert WALL in [c["code"] for c in occupation["competences"]]


def test_indicators_submissions_and_exports_over_http(client):
    """Reporting through the gateway: the catalogue, a period submitted and approved by another person,
    a correction refused without its reason, exports as files, and the sector reachable by InterMire only."""
    year = str(date.today().year)
    director, other_director = auth("dora", roles=("director",)), auth("dimitri", roles=("director",))
    catalogue = client.get("/missions/mirec/indicators", headers=as_role("counsellor"))
    assert catalogue.status_code == 200
    names = {i["name"] for i in catalogue.json["indicators"]}
    assert {"people_accompanied", "entries"} <= names
    unknown = client.get("/missions/mirec/indicators/nothing_like_it", query_string={"period": year}, headers=director)
    assert unknown.status_code == 422 and "indicator" in unknown.json["errors"]
    bad_period = client.get("/missions/mirec/indicators/entries", query_string={"period": "20xx"}, headers=director)
    assert bad_period.status_code == 422 and "period" in bad_period.json["errors"]
    submitted = client.post("/missions/mirec/submissions", json={"period": year}, headers=director)
    assert submitted.status_code == 201 and submitted.json["status"] == "submitted"
    version = submitted.json["version"]
    own = client.post(f"/missions/mirec/submissions/{year}/approval", json={"version": version}, headers=director)
    assert own.status_code == 409  # four eyes: the submitter does not approve
    approved = client.post(
        f"/missions/mirec/submissions/{year}/approval", json={"version": version}, headers=other_director
    )
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    again = client.post("/missions/mirec/submissions", json={"period": year}, headers=director)
    assert again.status_code == 409  # an approved period is frozen; a correction says why
    csv_file = client.get("/missions/mirec/exports", query_string={"period": year}, headers=director)
    assert csv_file.status_code == 200 and csv_file.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["Content-Disposition"]
    xlsx = client.get("/missions/mirec/exports", query_string={"period": year, "format": "xlsx"}, headers=director)
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"  # a zip container, as XLSX files are
    assert (
        client.get("/missions/mirec/exports", query_string={"period": year}, headers=as_role("counsellor")).status_code
        == 403
    )
    sector = client.get(
        "/intermire/exports", query_string={"period": year}, headers=as_role("intermire_analyst", "intermire")
    )
    assert sector.status_code == 200 and sector.headers["Content-Type"].startswith("text/csv")
    assert client.get("/intermire/exports", query_string={"period": year}, headers=director).status_code in (403, 404)


def test_limits_rate_and_upstream_timeout(platform):
    app = Gateway(
        platform.registry,
        environ={
            **DEVELOPMENT_ENV,
            "PASSERELLE_RATE_PER_SECOND": "0.01",
            "PASSERELLE_RATE_BURST": "3",
            "PASSERELLE_MAX_BODY": "1000",
        },
    )
    client = Client(app)
    site = next(s for s in platform.sites if s.code == "mirec")
    try:
        statuses = [client.get("/missions/mirec/beneficiaries", headers=auth("busy")).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        assert client.get("/missions/mirec/beneficiaries", headers=auth("calm")).status_code == 200
        # The Mission's site frozen (SIGSTOP): the call waits for its budget, then 504; the site thawed, 200 again.
        site.proc.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            frozen = client.get("/missions/mirec/employers", headers=auth("slow", roles=("employer_relations",)))
            waited = time.monotonic() - started
        finally:
            site.proc.send_signal(signal.SIGCONT)
        assert frozen.status_code == 504 and frozen.json["title"] == "Gateway Timeout"
        assert platform.registry.platform["rpc_timeout"] <= waited < platform.registry.platform["rpc_timeout"] + 3
        # A new identity per try: this gateway allows each only three requests.
        assert wait_until(
            lambda: (
                client.get(
                    "/missions/mirec/employers",
                    headers=auth(f"thawed-{uuid.uuid4().hex}", roles=("employer_relations",)),
                ).status_code
                == 200
            ),
            timeout=20,
            what="the site to answer again",
        )
    finally:
        app.rpc_clients.close()
