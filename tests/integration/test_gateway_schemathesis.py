"""Schemathesis against the running gateway, for every role: no server error, no answer outside the document.

The gateway serves HTTP on a port of its own (eventlet's WSGI server, as
``passerelle run-gateway`` runs it) in front of MIREC's five services and
InterMire on a throwaway platform. For each role, every operation of
``/openapi.json`` gets requests generated from its schemas (Hypothesis,
derandomised so a run can be repeated), sent with a token of that role for
the Mission in the path; each answer is checked: not a 5xx, a documented
status, content type and headers, and a body that fits the documented
schema. The number of examples per operation is bounded so the whole module
stays near a minute: ``ALLOWED_EXAMPLES`` where the role may act (the
request reaches a service), ``REFUSED_EXAMPLES`` where the policy refuses it
at the gateway, and ``INVALID_EXAMPLES`` of schema-breaking input (negative
mode). Random references mostly find nothing (404), so a few real objects
are made first (a person, an employer, an open vacancy, a training project)
and every operation on one of them is also run against the real one: random
but valid writes on live objects are where a state machine breaks.
"""

import os
from datetime import date, timedelta

import eventlet
import eventlet.wsgi
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app import Gateway
from gateway.auth import mint
from gateway.routes import ROUTES
from kit.permissions import POLICY
from runtime.demo import DemoFactory
from tests.harness import DEVELOPMENT_ENV, TestPlatform, free_port

pytestmark = pytest.mark.integration
ROLES = sorted({role for roles in POLICY.values() for role in roles} | {"forem", "actiris"})
ALLOWED_EXAMPLES = int(os.environ.get("PASSERELLE_SCHEMATHESIS_EXAMPLES", 2))
INVALID_EXAMPLES = 3  # negative mode: inputs that break the schema must be refused with a 4xx, never a 5xx
REFUSED_EXAMPLES = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ACTIONS = {(route.method, route.path.replace("<", "{").replace(">", "}")): route.action for route in ROUTES}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    platform = TestPlatform(tmp_path_factory.mktemp("schemathesis"), missions=("mirec",)).setup()
    server = None
    app = None
    try:
        platform.start("mirec")
        platform.start("intermire")
        app = Gateway(
            platform.registry,
            environ={**DEVELOPMENT_ENV, "PASSERELLE_RATE_PER_SECOND": "100000", "PASSERELLE_RATE_BURST": "100000"},
        )
        port = free_port()
        sock = eventlet.listen(("127.0.0.1", port))
        server = eventlet.spawn(eventlet.wsgi.server, sock, app, log_output=False)
        base_url = f"http://127.0.0.1:{port}"
        yield base_url, schemathesis.openapi.from_dict(app.document), real_objects(base_url)
    finally:
        if server is not None:
            server.kill()
        if app is not None:
            app.rpc_clients.close()
        platform.teardown()


def bearer(role: str, sub: str | None = None) -> dict:
    return {"Authorization": f"Bearer {mint(sub or f'fuzz-{role}', token_mission(role), [role])}"}


def real_objects(base_url: str) -> dict:
    """A path prefix → the reference of a real object there, made through the gateway."""

    def post(path, body, role):
        reply = requests.post(base_url + path, json=body, headers=bearer(role, "seed"), timeout=15)
        assert reply.status_code in (200, 201), (path, reply.text)
        return reply.json()

    person = post("/missions/mirec/beneficiaries", DemoFactory(seed=91).beneficiary("50000"), "counsellor")["id"]
    employer = post("/missions/mirec/employers", DemoFactory(seed=92).employer("50000"), "employer_relations")["id"]
    vacancy = post(
        f"/missions/mirec/employers/{employer}/vacancies",
        {
            "title": "Maçon",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 2,
        },
        "employer_relations",
    )["id"]
    post(f"/missions/mirec/vacancies/{vacancy}/open", {}, "employer_relations")
    start = date.today() - timedelta(days=30)
    project = post(
        "/missions/mirec/projects",
        {
            "title": "Maçons",
            "vacancy_id": vacancy,
            "employer_id": employer,
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 1,
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
            "training_convention": {
                "operators": [{"name": "Construform", "enterprise_number": "0403170701"}],
                "training_profile": "Maçon",
                "specification": "Gros oeuvre",
                "hours_centre": 300,
                "hours_work": 220,
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=120)).isoformat(),
                "trainees_planned": 2,
            },
        },
        "project_lead",
    )
    return {
        "/missions/{code}/beneficiaries/{id}": person,
        "/missions/{code}/matching/beneficiaries/{id}": person,
        "/missions/{code}/employers/{id}": employer,
        "/missions/{code}/vacancies/{id}": vacancy,
        "/missions/{code}/matching/vacancies/{id}": vacancy,
        "/missions/{code}/projects/{id}": project["id"],
        "/missions/{code}/conventions/{id}": project["conventions"]["employer"][0]["id"],
        "/missions/{code}/matching/occupations/{id}": "F1703",
    }


def real_id(path: str, objects: dict) -> str | None:
    return next((ref for prefix, ref in objects.items() if path.startswith(prefix)), None)


def token_mission(role: str) -> str:
    return "intermire" if role == "intermire_analyst" else "mirec"


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_no_schema_violation(served, role):
    base_url, schema, objects = served
    headers = bearer(role)
    failures, examples, statuses = [], 0, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/health":
            continue
        action = ACTIONS[(operation.method.upper(), operation.path)]
        allowed = role in POLICY[action] and (operation.path.startswith("/intermire")) == (role == "intermire_analyst")
        path_parameters = {"code": "mirec"} if "{code}" in operation.path else {}
        modes = [(GenerationMode.POSITIVE, ALLOWED_EXAMPLES if allowed else REFUSED_EXAMPLES, path_parameters)]
        if allowed:
            modes.append((GenerationMode.NEGATIVE, INVALID_EXAMPLES, path_parameters))
            ref = real_id(operation.path, objects)
            if ref:
                modes.append((GenerationMode.POSITIVE, ALLOWED_EXAMPLES, {**path_parameters, "id": ref}))
        for mode, count, parameters in modes:

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=parameters or None))
            @settings(
                max_examples=count,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                nonlocal examples
                examples += 1
                response = case.call(base_url=base_url, headers=headers, timeout=15)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Exception as exc:  # collected, so one run reports every operation that fails
                failures.append(
                    f"{mode.value} {operation.method.upper()} {operation.path}: {type(exc).__name__}: {exc}"[:2000]
                )
    print(
        f"schemathesis as {role}: {examples} requests, statuses {dict(sorted(statuses.items()))}, "
        f"{len(failures)} failing operations"
    )
    assert examples > 0
    assert not any(status >= 500 for status in statuses)
    assert failures == []
