"""A training project's whole cycle on a real Mission site, through the real broker.

Vacancy (employer service) → both conventions → signatures → confirmation
internships → enrolment → committee → completion → hires → commitment
evaluated, with exactly the expected events, in order; the bad inputs of the
issue refused field by field across RPC with nothing partly written; the
vacancy's events and a person's erasure consumed from the broker; the
signatures and the evaluated commitment shovelled to InterMire and read there
through the gateway by its analyst, small figures protected.
"""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from gateway.app import Gateway
from gateway.auth import mint
from kit.actor import Actor
from kit.errors import Forbidden, ValidationFailed
from runtime.demo import DemoFactory
from tests.harness import DEVELOPMENT_ENV, wait_until

pytestmark = pytest.mark.integration
AGENT = Actor("eric.agent", "mirec", ("employer_relations",))
LEAD = Actor("paula.lead", "mirec", ("project_lead",))
DIRECTOR = Actor("dora.director", "mirec", ("director",))
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
OPERATOR_BCE = "0403170701"
TODAY = date.today()
START, END = TODAY - timedelta(days=150), TODAY - timedelta(days=20)


def convention_outbox(platform) -> list[tuple[str, str, dict]]:
    engine = platform.engine("mirec", "convention")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT audience, routing_key, payload FROM outbox ORDER BY seq")).all()
    engine.dispose()
    return [(r.audience, r.routing_key.split(".")[3], json.loads(r.payload)) for r in rows]


def table_counts(platform) -> dict:
    return {
        t: platform.scalar("mirec", "convention", f"SELECT count(*) FROM {t}")
        for t in (
            "project",
            "convention",
            "convention_transition",
            "convention_party",
            "internship",
            "trainee",
            "trainee_transition",
            "committee",
            "outbox",
        )
    }


def test_a_training_project_from_vacancy_to_evaluated_commitment(platform):
    platform.start("mirec")
    platform.start("intermire")

    def rpc(service, method, *args, actor=LEAD):
        return platform.rpc(
            "mirec",
            service,
            method,
            *args,
            actor=actor,
        )

    # The vacancy, negotiated by an employer-relations agent.
    employer = rpc("employer", "register", DemoFactory(seed=61).employer("50000"), actor=AGENT)
    vacancy = rpc(
        "employer",
        "create_vacancy",
        {
            "employer_id": employer["id"],
            "title": "Maçon",
            "occupation": "F1703",
            "description": "Gros oeuvre",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 2,
        },
        actor=AGENT,
    )
    rpc("employer", "open_vacancy", vacancy["id"], actor=AGENT)

    # Both conventions of the project, drafted together.
    project = rpc(
        "convention",
        "create_project",
        {
            "title": "Maçons pour Gosselies",
            "vacancy_id": vacancy["id"],
            "employer_id": employer["id"],
            "employer_convention": {
                "post_title": "Maçon",
                "hires_committed": 2,
                "contract_type": "permanent",
                "hours_per_week": 38,
            },
            "training_convention": {
                "operators": [{"name": "Construform", "enterprise_number": OPERATOR_BCE}],
                "training_profile": "Maçon (SFMQ)",
                "specification": "Gros oeuvre en 12 modules",
                "hours_centre": 300,
                "hours_work": 220,
                "start_date": START.isoformat(),
                "end_date": END.isoformat(),
                "trainees_planned": 2,
            },
        },
    )
    pid = project["id"]
    employer_c, training_c = project["conventions"]["employer"][0], project["conventions"]["training"][0]

    # Signatures: out of order and by a stranger refused, across RPC, field by field.
    before = table_counts(platform)
    with pytest.raises(ValidationFailed) as early:
        rpc("convention", "sign", employer_c["id"], {"party": "employer", "signer_name": "Julie Lambert"})
    assert list(early.value.errors) == ["status"]
    rpc("convention", "submit", employer_c["id"])
    with pytest.raises(ValidationFailed) as stranger:
        rpc("convention", "sign", employer_c["id"], {"party": f"operator:{OPERATOR_BCE}", "signer_name": "Paul"})
    assert list(stranger.value.errors) == ["party"]
    with pytest.raises(Forbidden):
        rpc("convention", "sign", employer_c["id"], {"party": "mission", "signer_name": "Anne"}, actor=COUNSELLOR)
    assert table_counts(platform) == dict(before, convention_transition=before["convention_transition"] + 1)
    rpc(
        "convention",
        "sign",
        employer_c["id"],
        {"party": "employer", "signer_name": "Julie Lambert", "signer_function": "gérante"},
    )
    assert (
        rpc(
            "convention", "sign", employer_c["id"], {"party": "mission", "signer_name": "Dora Director"}, actor=DIRECTOR
        )["status"]
        == "signed"
    )
    rpc("convention", "submit", training_c["id"])
    rpc("convention", "sign", training_c["id"], {"party": f"operator:{OPERATOR_BCE}", "signer_name": "Paul Maes"})
    rpc("convention", "sign", training_c["id"], {"party": "mission", "signer_name": "Dora Director"}, actor=DIRECTOR)
    rpc("convention", "activate", employer_c["id"])
    assert rpc("convention", "activate", training_c["id"])["status"] == "active"

    # Confirmation internships of three people followed by the Mission.
    people = [
        rpc("beneficiary", "register", DemoFactory(seed=70 + n).beneficiary("50000"), actor=COUNSELLOR)["id"]
        for n in range(3)
    ]
    internship = {
        "start_date": (START - timedelta(days=15)).isoformat(),
        "end_date": (START - timedelta(days=5)).isoformat(),
    }
    for person, outcome in zip(people, ("confirmed", "confirmed", "reoriented"), strict=True):
        rpc(
            "convention",
            "record_internship",
            pid,
            dict(internship, beneficiary_id=person, outcome=outcome),
            actor=COUNSELLOR,
        )

    # Enrolment: the reoriented person, dates outside the convention and a third trainee are refused.
    tutor = {"name": "Jean Lemaire", "function": "chef de chantier"}

    def enrol(person, **over):
        return rpc(
            "convention",
            "enrol",
            pid,
            {
                "beneficiary_id": person,
                "start_date": START.isoformat(),
                "planned_end": END.isoformat(),
                "tutor": tutor,
                **over,
            },
            actor=COUNSELLOR,
        )

    before = table_counts(platform)
    for person, over, field in (
        (people[2], {}, "beneficiary_id"),
        (people[0], {"start_date": (START - timedelta(days=1)).isoformat()}, "start_date"),
        (people[0], {"planned_end": (END + timedelta(days=1)).isoformat()}, "planned_end"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            enrol(person, **over)
        assert list(refused.value.errors) == [field]
    assert table_counts(platform) == before
    trainees = [enrol(people[0]), enrol(people[1])]
    fourth = rpc("beneficiary", "register", DemoFactory(seed=74).beneficiary("50000"), actor=COUNSELLOR)["id"]
    with pytest.raises(ValidationFailed) as full:
        enrol(fourth)
    assert "trainees" in full.value.errors

    # A follow-up committee adapts one trainee's path.
    committee = rpc(
        "convention",
        "hold_committee",
        pid,
        {
            "kind": "follow_up",
            "held_on": (START + timedelta(days=45)).isoformat(),
            "attendees": ["mission", "employer", f"operator:{OPERATOR_BCE}"],
            "decisions": [{"trainee_id": trainees[1]["id"], "kind": "remediation"}],
        },
    )
    assert committee["absent"] == []

    # Completion, hires, and the commitment evaluated.
    for trainee in trainees:
        rpc("convention", "complete_trainee", trainee["id"], {"on": END.isoformat()})
    rpc("convention", "complete", training_c["id"])
    for trainee, person in zip(trainees, people, strict=False):
        rpc("convention", "record_hire", trainee["id"], {"on": TODAY.isoformat(), "contract_type": "permanent"})
        rpc("employer", "fill_vacancy", vacancy["id"], person, actor=AGENT)
    done = rpc("convention", "complete", employer_c["id"])
    assert (done["status"], done["hires_actual"], done["commitment_outcome"]) == ("completed", 2, "fulfilled")
    by_employer = rpc("convention", "employer_commitments", employer["id"], actor=COUNSELLOR)
    assert by_employer["outcomes"] == {"fulfilled": 1} and by_employer["items"][0]["convention_id"] == employer_c["id"]

    # Exactly the expected events, in order; the sector forms carry no reference to a person, and exist only for
    # the facts InterMire counts (signatures, evaluated commitments).
    rows = convention_outbox(platform)
    assert [(a, t, e["data"]["convention_id"]) for a, t, e in rows] == [
        ("internal", "signed", employer_c["id"]),
        ("sector", "signed", employer_c["id"]),
        ("internal", "signed", training_c["id"]),
        ("sector", "signed", training_c["id"]),
        ("internal", "activated", employer_c["id"]),
        ("internal", "activated", training_c["id"]),
        ("internal", "trainee_enrolled", training_c["id"]),
        ("internal", "trainee_enrolled", training_c["id"]),
        ("internal", "trainee_completed", training_c["id"]),
        ("internal", "trainee_completed", training_c["id"]),
        ("internal", "completed", training_c["id"]),
        ("internal", "trainee_hired", employer_c["id"]),
        ("internal", "trainee_hired", employer_c["id"]),
        ("internal", "completed", employer_c["id"]),
        ("internal", "commitment_evaluated", employer_c["id"]),
        ("sector", "commitment_evaluated", employer_c["id"]),
    ]
    evaluated = rows[-2][2]["data"]
    assert (evaluated["hires_committed"], evaluated["hires_actual"], evaluated["outcome"]) == (2, 2, "fulfilled")
    assert rows[-1][2]["data"] == {
        "convention_id": employer_c["id"],
        "month": TODAY.strftime("%Y-%m"),
        "outcome": "fulfilled",
    }
    assert rows[-1][2]["dataschema"].startswith("urn:passerelle:schema:sector:")
    payloads = json.dumps([e for _, _, e in rows])
    assert not [p for p in people if p in payloads], "events name trainees by the convention's own reference"

    # Delivered through the broker: reporting logged every internal fact; the vacancy's fills reached the project.
    internal = sum(1 for a, _, _ in rows if a == "internal")

    def facts():
        return platform.rpc("mirec", "reporting", "indicators", actor=DIRECTOR)["facts"]

    wait_until(
        lambda: sum(n for t, n in facts().items() if t in {t for _, t, _ in rows}) >= internal,
        timeout=60,
        what="the convention facts to reach reporting",
    )
    wait_until(
        lambda: platform.scalar("mirec", "convention", "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0,
        what="every outbox row confirmed",
    )
    wait_until(
        lambda: rpc("convention", "get_project", pid)["vacancy_status"] == "filled",
        timeout=60,
        what="the vacancy's fills to reach the project",
    )

    # Erasure in the beneficiary service: the convention forgets the person, keeps the counts.
    rpc("beneficiary", "erase", people[0], actor=DIRECTOR)
    wait_until(
        lambda: (
            platform.scalar(
                "mirec", "convention", "SELECT count(*) FROM trainee WHERE beneficiary_id = :b", b=people[0]
            )
            == 0
        ),
        timeout=60,
        what="the convention to forget the person",
    )
    body = rpc("convention", "get_project", pid)
    assert sorted(t["status"] for t in body["trainees"]) == ["hired", "hired"]
    assert people[0] not in json.dumps(body)
    assert rpc("convention", "convention_commitment", employer_c["id"])["hires_actual"] == 2

    # InterMire counts what the to-sector shovel carried: two more projects signed make six conventions, enough
    # to publish; the one evaluated commitment is below the threshold, so its table is refused, not shown as 0.
    for n in range(2):
        more = rpc(
            "employer",
            "create_vacancy",
            {
                "employer_id": employer["id"],
                "title": f"Coffreur {n}",
                "occupation": "F1703",
                "description": "Coffrage",
                "contract_type": "permanent",
                "hours_per_week": 38,
                "municipality": "52011",
                "posts": 1,
            },
            actor=AGENT,
        )
        rpc("employer", "open_vacancy", more["id"], actor=AGENT)
        other = rpc(
            "convention",
            "create_project",
            {
                "title": f"Coffreurs {n}",
                "vacancy_id": more["id"],
                "employer_id": employer["id"],
                "employer_convention": {
                    "post_title": "Coffreur",
                    "hires_committed": 1,
                    "contract_type": "permanent",
                    "hours_per_week": 38,
                },
                "training_convention": {
                    "operators": [{"name": "Construform", "enterprise_number": OPERATOR_BCE}],
                    "training_profile": "Coffreur (SFMQ)",
                    "specification": "Coffrage en 6 modules",
                    "hours_centre": 200,
                    "hours_work": 120,
                    "start_date": START.isoformat(),
                    "end_date": END.isoformat(),
                    "trainees_planned": 1,
                },
            },
        )
        for kind, party, signer in (("employer", "employer", "Julie Lambert"), ("training", None, "Paul Maes")):
            convention_id = other["conventions"][kind][0]["id"]
            rpc("convention", "submit", convention_id)
            rpc(
                "convention",
                "sign",
                convention_id,
                {"party": party or f"operator:{OPERATOR_BCE}", "signer_name": signer},
            )
            rpc("convention", "sign", convention_id, {"party": "mission", "signer_name": "Dora"}, actor=DIRECTOR)

    gateway = Gateway(platform.registry, environ=dict(DEVELOPMENT_ENV))
    http = Client(gateway)
    analyst = {"Authorization": f"Bearer {mint('ines.analyst', 'intermire', ['intermire_analyst'])}"}
    year, quarter = str(TODAY.year), f"Q{(TODAY.month - 1) // 3 + 1}"

    def sector_table(name):
        reply = http.get(
            f"/intermire/indicators/{name}", query_string={"period": year, "columns": "quarter"}, headers=analyst
        )
        return reply.status_code, reply.json

    signed = wait_until(
        lambda: (r := sector_table("conventions_signed"))[0] == 200 and r[1]["sector"]["total"] == 6 and r[1],
        timeout=60,
        what="the six signatures at InterMire",
    )
    assert signed["missions"]["mirec"]["total"] == 6 and signed["missions"]["mirec"]["cells"][quarter] == 6
    assert signed["missions"]["mirena"]["total"] == 0
    shown = [v for row in [*signed["missions"].values(), signed["sector"]] for v in [*row["cells"].values()]]
    assert all(v is not None and (v == 0 or v >= 5) for v in shown)  # nothing small, nothing hidden
    # One fulfilled commitment sector-wide: a table of 1 to 4 is never published (a table of 0 would be).
    status, refused = wait_until(
        lambda: (r := sector_table("commitments_fulfilled"))[0] != 200 and r,
        timeout=60,
        what="the evaluated commitment at InterMire",
    )
    assert status == 422 and "suppression threshold" in refused["errors"]["period"][0]
    gateway.rpc_clients.close()

    # What InterMire holds of them: the convention's reference, the month, the outcome; nothing of a person. The
    # vacancies' facts share their queue, and a reference is longer than a pseudonym: all are stored, none
    # dead-lettered (three vacancies opened, two posts filled).
    def stored() -> list:
        engine = platform.engine("intermire", "reporting")
        try:
            with engine.connect() as conn:
                return conn.execute(
                    sa.text(
                        "SELECT type, data FROM sector_fact"
                        " WHERE type LIKE 'be.mire.convention.%' OR type LIKE 'be.mire.employer.%'"
                    )
                ).all()
        finally:
            engine.dispose()

    at_intermire = wait_until(lambda: len(rows := stored()) == 12 and rows, timeout=60, what="InterMire's facts")
    kinds = sorted(t.split(".")[3] for t, _ in at_intermire)
    assert kinds == ["commitment_evaluated"] + ["signed"] * 6 + ["vacancy_filled"] * 2 + ["vacancy_opened"] * 3
    evaluated_there = [json.loads(d) if isinstance(d, str) else d for t, d in at_intermire if "commitment" in t]
    assert evaluated_there == [
        {"convention_id": employer_c["id"], "month": TODAY.strftime("%Y-%m"), "outcome": "fulfilled"}
    ]


def test_every_other_convention_rpc_answers_over_the_broker(platform):
    """Amendments, cancellation, termination, drop-out, not hired and the reads: one round-trip each."""
    # Employer and beneficiary answer whether the project's references exist (kit.references).
    platform.start("mirec", services=["convention", "employer", "beneficiary"])

    def rpc(method, *args, actor=LEAD):
        return platform.rpc(
            "mirec",
            "convention",
            method,
            *args,
            actor=actor,
        )

    employer_id = platform.new_employer("mirec", seed=142)
    vacancy_id = platform.new_vacancy("mirec", employer_id)
    person = platform.new_person("mirec", seed=142)
    payload = {
        "title": "Aides-soignants",
        "vacancy_id": vacancy_id,
        "employer_id": employer_id,
        "employer_convention": {
            "post_title": "Aide-soignant",
            "hires_committed": 1,
            "contract_type": "article_60",
            "hours_per_week": 30,
        },
        "training_convention": {
            "operators": [{"name": "CISP", "enterprise_number": OPERATOR_BCE}],
            "training_profile": "Aide-soignant",
            "specification": "8 modules",
            "hours_centre": 200,
            "hours_work": 100,
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            "trainees_planned": 1,
        },
    }
    cancelled = rpc("create_project", payload)
    draft = cancelled["conventions"]["employer"][0]
    assert rpc("update_convention", draft["id"], {"hours_per_week": 32})["hours_per_week"] == 32
    assert rpc("cancel", draft["id"], "duplicate")["status"] == "cancelled"

    project = rpc("create_project", payload)
    ids = {kind: project["conventions"][kind][0]["id"] for kind in ("employer", "training")}
    for kind, others in (("employer", ["employer"]), ("training", [f"operator:{OPERATOR_BCE}"])):
        rpc("submit", ids[kind])
        for party in ["mission", *others]:
            rpc("sign", ids[kind], {"party": party, "signer_name": "Marie Dupont"})
        rpc("activate", ids[kind])
    amendment = rpc("amend", ids["employer"], {"hires_committed": 2})
    assert (amendment["version"], amendment["status"]) == (2, "draft")
    rpc(
        "record_internship",
        project["id"],
        {
            "beneficiary_id": person,
            "outcome": "confirmed",
            "start_date": (START - timedelta(days=9)).isoformat(),
            "end_date": (START - timedelta(days=2)).isoformat(),
        },
    )
    trainee = rpc(
        "enrol",
        project["id"],
        {
            "beneficiary_id": person,
            "start_date": START.isoformat(),
            "planned_end": END.isoformat(),
            "tutor": {"name": "Luc Renard"},
        },
    )
    assert rpc("complete_trainee", trainee["id"], {"on": END.isoformat()})["status"] == "completed"
    assert (
        rpc("record_not_hired", trainee["id"], {"on": TODAY.isoformat(), "reason": "no_post_left"})["status"]
        == "not_hired"
    )
    assert [t["to"] for t in rpc("get_trainee", trainee["id"], actor=COUNSELLOR)["transitions"]] == [
        "in_training",
        "completed",
        "not_hired",
    ]
    assert rpc("terminate", ids["training"], "too_few_trainees")["status"] == "terminated"
    assert [t["to"] for t in rpc("get_convention", ids["training"])["transitions"]] == [
        "draft",
        "ready_to_sign",
        "partially_signed",
        "signed",
        "active",
        "terminated",
    ]
    listed = rpc("list_projects", employer_id, 1, 1, actor=COUNSELLOR)
    assert listed["total"] == 2 and len(listed["items"]) == 1
    with pytest.raises(ValidationFailed) as too_big:
        rpc("list_projects", None, 1, 1000)
    assert list(too_big.value.errors) == ["page_size"]
    # A drop-out needs an active training convention: this one was terminated.
    with pytest.raises(ValidationFailed) as ended:
        rpc("drop_out", trainee["id"], {"on": END.isoformat(), "reason": "health"})
    assert list(ended.value.errors) == ["status"]
