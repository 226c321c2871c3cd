"""Convention rules: the pure domain, then the service class on a real migrated SQLite database (no broker).

Every refusal answers field by field and leaves nothing written: no row, no transition, no event.
"""

import json
import uuid
from datetime import date, timedelta

import pytest
from convention import domain
from convention.service import ConventionService
from sqlalchemy import func, select, text

from contracts.envelope import make_event
from kit.actor import Actor
from kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kit.migrations import drop_database
from kit.storage import outbox
from kit.testing import migrated, worker
from tests.harness import DATABASE, POSTGRES_URL

TODAY = date.today()
START, END = TODAY - timedelta(days=120), TODAY - timedelta(days=10)
LEAD = Actor("paula.lead", "mirec", ("project_lead",))
DIRECTOR = Actor("dora.director", "mirec", ("director",))
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
OPERATOR_BCE = "0403170701"  # valid check digits
OPERATOR_2_BCE = "0202239951"


def project_payload(**training):
    return {
        "title": "Maçons pour le chantier de Gosselies",
        "vacancy_id": "3f7c9a52-1d5e-4c5a-9a8e-0b1e2c3d4e5f",
        "employer_id": "8a1b2c3d-4e5f-4061-8a7b-9c0d1e2f3a4b",
        "employer_convention": {
            "post_title": "Maçon",
            "hires_committed": 2,
            "contract_type": "permanent",
            "hours_per_week": 38,
        },
        "training_convention": {
            "operators": [{"name": "Centre de formation Construform", "enterprise_number": OPERATOR_BCE}],
            "training_profile": "Maçon – référentiel SFMQ",
            "specification": "Gros oeuvre, 12 modules",
            "hours_centre": 300,
            "hours_work": 200,
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            "trainees_planned": 2,
            **training,
        },
    }


@pytest.fixture
def store(tmp_path):
    """The service's database, migrated by Alembic: SQLite, or PostgreSQL when the suite runs on it."""
    if DATABASE == "sqlite":
        url = f"sqlite:///{tmp_path}/convention.sqlite"
    else:
        url = f"{POSTGRES_URL}/unit_convention_{uuid.uuid4().hex[:10]}"
    try:
        with migrated("convention", url) as store:
            yield store
    finally:
        drop_database(url)


class FakeOwner:
    """The owning services' existence checks (kit.references): every reference exists but those listed
    in ``missing``; every vacancy belongs to the employer of ``project_payload``."""

    def __init__(self, missing=()):
        self.missing = set(missing)
        self.asked = []

    def _known(self, ids, owner=None):
        self.asked.append(list(ids))
        return {i: owner for i in ids if i not in self.missing}

    def known_beneficiaries(self, ids):
        return self._known(ids)

    def known_employers(self, ids):
        return self._known(ids)

    def known_vacancies(self, ids):
        return self._known(ids, project_payload()["employer_id"])


@pytest.fixture
def as_(store):
    """``as_(actor)`` is the service as that caller (``handler`` names the inbox entry of an event handler)."""

    def make(actor=LEAD, handler="convention.rpc", owner=None):
        owner = owner or FakeOwner()
        return worker(ConventionService, store, actor, handler=handler, beneficiary=owner, employer=owner)

    return make


def test_references_the_mission_does_not_hold_are_refused_by_field_before_anything_is_written(as_, store):
    missing = {"made-up-person", "employer-of-mirena", "vacancy-of-mirena"}
    svc = as_(owner=FakeOwner(missing))
    with pytest.raises(ValidationFailed) as refused:
        svc.create_project(dict(project_payload(), employer_id="employer-of-mirena", vacancy_id="vacancy-of-mirena"))
    assert set(refused.value.errors) == {"employer_id", "vacancy_id"}
    # A vacancy of this Mission, but of another employer than the one named.
    other = dict(project_payload(), employer_id="0c0c0c0c-1111-4222-8333-444444444444")
    with pytest.raises(ValidationFailed) as refused:
        svc.create_project(other)
    assert (
        list(refused.value.errors) == ["vacancy_id"]
        and "not one of the employer_id" in refused.value.errors["vacancy_id"][0]
    )
    assert snapshot(store) == dict.fromkeys(snapshot(store), 0)
    project, _ = running_project(svc)
    for payload, fields in [
        ({"beneficiary_id": "made-up-person"}, {"beneficiary_id"}),
        ({"beneficiary_id": "b-1", "host_employer_id": "employer-of-mirena"}, {"host_employer_id"}),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            svc.record_internship(
                project["id"],
                dict(
                    payload,
                    start_date=START.isoformat(),
                    end_date=(START + timedelta(days=5)).isoformat(),
                    outcome="confirmed",
                ),
            )
        assert set(refused.value.errors) == fields
    with pytest.raises(ValidationFailed) as refused:
        svc.enrol(
            project["id"],
            {
                "beneficiary_id": "made-up-person",
                "start_date": START.isoformat(),
                "planned_end": END.isoformat(),
                "tutor": {"name": "Jean Lemaire"},
            },
        )
    assert refused.value.errors == {"beneficiary_id": ["no person with this reference in this Mission"]}


def count(store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()


def event_types(store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.audience, outbox.c.routing_key).order_by(outbox.c.seq)).all()
    return [(a, k.split(".")[3]) for a, k in rows]


def snapshot(store) -> dict:
    tables = (
        "project",
        "convention",
        "convention_party",
        "convention_transition",
        "internship",
        "trainee",
        "trainee_transition",
        "committee",
        "outbox",
    )
    return {t: count(store, t) for t in tables}


def sign_all(svc, convention):
    for party in convention["parties"]:
        convention = svc.sign(
            convention["id"], {"party": party["party"], "signer_name": "Marie Dupont", "signer_function": "directrice"}
        )
    return convention


def running_project(svc, **training):
    """A project whose two conventions are signed and active."""
    project = svc.create_project(project_payload(**training))
    out = {}
    for kind in ("employer", "training"):
        convention = project["conventions"][kind][0]
        svc.submit(convention["id"])
        sign_all(svc, svc.get_convention(convention["id"]))
        out[kind] = svc.activate(convention["id"])
    return project, out


def confirmed(svc, project_id, beneficiary_id, outcome="confirmed"):
    return svc.record_internship(
        project_id,
        {
            "beneficiary_id": beneficiary_id,
            "start_date": (START - timedelta(days=14)).isoformat(),
            "end_date": (START - timedelta(days=3)).isoformat(),
            "outcome": outcome,
        },
    )


def enrolment(beneficiary_id, **over):
    return {
        "beneficiary_id": beneficiary_id,
        "start_date": START.isoformat(),
        "planned_end": END.isoformat(),
        "tutor": {"name": "Jean Lemaire", "function": "chef d'équipe"},
        **over,
    }


# -- the pure rules --------------------------------------------------------
def test_signature_workflow_rules():
    parties = {"mission", "employer"}
    with pytest.raises(domain.RuleBroken) as early:
        domain.sign("draft", parties, set(), "mission")
    assert "status" in early.value.errors
    assert domain.sign("ready_to_sign", parties, set(), "mission") == "partially_signed"
    assert domain.sign("partially_signed", parties, {"mission"}, "employer") == "signed"
    for status, signed, party, field in (
        ("partially_signed", {"mission"}, "operator:0403170701", "party"),
        ("partially_signed", {"mission"}, "mission", "party"),
        ("signed", parties, "mission", "status"),
    ):
        with pytest.raises(domain.RuleBroken) as refused:
            domain.sign(status, parties, signed, party)
        assert field in refused.value.errors
    assert domain.move("signed", "activate") == "active"
    with pytest.raises(domain.RuleBroken):
        domain.move("active", "cancel")  # a running convention is terminated, not cancelled
    assert domain.move("active", "terminate") == "terminated"


def test_commitment_and_enrolment_rules():
    assert [domain.evaluate_commitment(2, n) for n in (3, 2, 1, 0)] == ["fulfilled", "fulfilled", "partly", "not"]
    with pytest.raises(domain.RuleBroken) as refused:
        domain.check_enrolment(
            internship_outcome="reoriented",
            internship_end=START,
            enrolled=2,
            planned=2,
            start=START - timedelta(days=1),
            planned_end=END + timedelta(days=1),
            schedule=(START, END),
        )
    assert set(refused.value.errors) == {"beneficiary_id", "trainees", "start_date", "planned_end"}
    with pytest.raises(domain.RuleBroken):
        domain.check_completion("employer", ["hired", "completed"])
    domain.check_completion("training", ["completed", "dropped_out"])


# -- the service, on a real database ---------------------------------------
def test_bad_projects_are_refused_field_by_field_and_nothing_is_written(as_, store):
    svc = as_()
    cases = [
        ({"status": "signed"}, "status"),
        (
            {
                "employer_convention": {
                    "post_title": "Maçon",
                    "hires_committed": 0,
                    "contract_type": "permanent",
                    "hours_per_week": 38,
                }
            },
            "employer_convention",
        ),
        (
            {
                "training_convention": dict(
                    project_payload()["training_convention"], end_date=(START - timedelta(days=1)).isoformat()
                )
            },
            "training_convention",
        ),
        (
            {
                "training_convention": dict(
                    project_payload()["training_convention"],
                    operators=[{"name": "X", "enterprise_number": "0123456789"}],
                )
            },
            "training_convention",
        ),
    ]
    for change, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            svc.create_project(dict(project_payload(), **change))
        assert field in refused.value.errors
    nested = refused.value.errors["training_convention"]["operators"][0]
    assert "enterprise_number" in nested
    with pytest.raises(Forbidden):
        as_(COUNSELLOR).create_project(project_payload())
    assert snapshot(store) == dict.fromkeys(snapshot(store), 0)


def test_signing_out_of_order_or_by_a_stranger_is_refused(as_, store):
    svc = as_()
    project = svc.create_project(project_payload())
    employer = project["conventions"]["employer"][0]
    training = project["conventions"]["training"][0]
    assert [p["party"] for p in training["parties"]] == ["mission", f"operator:{OPERATOR_BCE}"]
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as early:
        svc.sign(employer["id"], {"party": "mission", "signer_name": "Dora Director"})
    assert list(early.value.errors) == ["status"]
    svc.submit(employer["id"])
    with pytest.raises(ValidationFailed) as stranger:
        svc.sign(employer["id"], {"party": f"operator:{OPERATOR_BCE}", "signer_name": "Paul Formateur"})
    assert list(stranger.value.errors) == ["party"]
    with pytest.raises(ValidationFailed) as unknown:
        svc.sign(employer["id"], {"party": "employer", "signer_name": "Julie", "signed_at": "2026-01-01"})
    assert "signed_at" in unknown.value.errors
    with pytest.raises(Forbidden):
        as_(COUNSELLOR).sign(employer["id"], {"party": "mission", "signer_name": "Anne"})
    assert snapshot(store)["convention_party"] == before["convention_party"]
    assert snapshot(store)["convention_transition"] == before["convention_transition"] + 1  # the submit only

    assert (
        svc.sign(employer["id"], {"party": "employer", "signer_name": "Julie Lambert", "signer_function": "DRH"})[
            "status"
        ]
        == "partially_signed"
    )
    with pytest.raises(ValidationFailed) as twice:
        svc.sign(employer["id"], {"party": "employer", "signer_name": "Julie Lambert"})
    assert list(twice.value.errors) == ["party"]
    signed = svc.sign(employer["id"], {"party": "mission", "signer_name": "Dora Director"})
    assert signed["status"] == "signed"
    with pytest.raises(ValidationFailed) as late:
        svc.sign(employer["id"], {"party": "mission", "signer_name": "Dora Director"})
    assert list(late.value.errors) == ["status"]
    history = svc.get_convention(employer["id"])["transitions"]
    assert [(t["to"], t["party"]) for t in history] == [
        ("draft", None),
        ("ready_to_sign", None),
        ("partially_signed", "employer"),
        ("signed", "mission"),
    ]
    assert {t["by"] for t in history} == {"paula.lead"} and history[-1]["role"] == "project_lead"
    assert event_types(store) == [("internal", "signed"), ("sector", "signed")]
    with pytest.raises(ValidationFailed):
        svc.cancel(employer["id"], "other")  # signed: terminate, not cancel
    with pytest.raises(ValidationFailed) as no_reason:
        svc.terminate(employer["id"], "because")
    assert list(no_reason.value.errors) == ["reason"]
    with pytest.raises(NotFound):
        svc.sign("no-such-convention", {"party": "mission", "signer_name": "Dora"})


def test_enrolment_refusals_leave_nothing_written(as_, store):
    svc = as_()
    project, _ = running_project(svc)
    pid = project["id"]
    confirmed(svc, pid, "b-confirmed-1")
    confirmed(svc, pid, "b-confirmed-2")
    confirmed(svc, pid, "b-confirmed-3")
    confirmed(svc, pid, "b-reoriented", outcome="reoriented")
    with pytest.raises(Conflict):
        confirmed(svc, pid, "b-reoriented")
    with pytest.raises(ValidationFailed) as bad_internship:
        svc.record_internship(
            pid,
            {
                "beneficiary_id": "b-x",
                "start_date": TODAY.isoformat(),
                "end_date": (TODAY - timedelta(days=3)).isoformat(),
                "outcome": "confirmed",
            },
        )
    assert "end_date" in bad_internship.value.errors
    before = snapshot(store)
    refusals = [
        (enrolment("b-reoriented"), "beneficiary_id"),
        (enrolment("b-never-interned"), "beneficiary_id"),
        (enrolment("b-confirmed-1", start_date=(START - timedelta(days=1)).isoformat()), "start_date"),
        (enrolment("b-confirmed-1", planned_end=(END + timedelta(days=1)).isoformat()), "planned_end"),
        (enrolment("b-confirmed-1", tutor={"name": "J"}), "tutor"),
        (enrolment("b-confirmed-1", notes="motivé"), "notes"),  # never a note about the person
    ]
    for payload, field in refusals:
        with pytest.raises(ValidationFailed) as refused:
            svc.enrol(pid, payload)
        assert field in refused.value.errors, payload
    assert "did not confirm" in svc_error(svc, pid, enrolment("b-reoriented"))["beneficiary_id"][0]
    assert snapshot(store) == before

    first = svc.enrol(pid, enrolment("b-confirmed-1"))
    assert first["status"] == "in_training" and first["tutor_name"] == "Jean Lemaire"
    with pytest.raises(Conflict):
        svc.enrol(pid, enrolment("b-confirmed-1"))
    svc.enrol(pid, enrolment("b-confirmed-2"))
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as full:
        svc.enrol(pid, enrolment("b-confirmed-3"))
    assert list(full.value.errors) == ["trainees"]
    assert snapshot(store) == before
    # A drop-out frees the place.
    svc.drop_out(first["id"], {"on": (START + timedelta(days=20)).isoformat(), "reason": "health"})
    assert svc.enrol(pid, enrolment("b-confirmed-3"))["status"] == "in_training"
    with pytest.raises(Forbidden):
        as_(Actor("eric.agent", "mirec", ("employer_relations",))).enrol(pid, enrolment("b-confirmed-3"))


def svc_error(svc, project_id, payload) -> dict:
    try:
        svc.enrol(project_id, payload)
    except ValidationFailed as exc:
        return exc.errors
    raise AssertionError("expected a refusal")


def test_enrolment_needs_both_conventions_active(as_, store):
    svc = as_()
    project = svc.create_project(project_payload())
    confirmed(svc, project["id"], "b-1")
    with pytest.raises(ValidationFailed) as not_yet:
        svc.enrol(project["id"], enrolment("b-1"))
    assert list(not_yet.value.errors) == ["status"]
    training = project["conventions"]["training"][0]
    svc.submit(training["id"])
    sign_all(svc, training)
    with pytest.raises(ValidationFailed) as employer_first:
        svc.activate(training["id"])
    assert "employer convention" in employer_first.value.errors["status"][0]
    assert count(store, "trainee") == 0


def test_an_amendment_is_a_new_version_and_the_old_one_is_kept(as_, store):
    svc = as_()
    project, conventions = running_project(svc)
    pid, training = project["id"], conventions["training"]
    confirmed(svc, pid, "b-1")
    confirmed(svc, pid, "b-2")
    svc.enrol(pid, enrolment("b-1"))
    svc.enrol(pid, enrolment("b-2"))
    before = snapshot(store)
    with pytest.raises(ValidationFailed) as fewer:
        svc.amend(training["id"], {"trainees_planned": 1})
    assert list(fewer.value.errors) == ["trainees_planned"]
    with pytest.raises(ValidationFailed) as shorter:
        svc.amend(training["id"], {"end_date": (END - timedelta(days=5)).isoformat()})
    assert list(shorter.value.errors) == ["end_date"]
    with pytest.raises(ValidationFailed) as mass:
        svc.amend(training["id"], {"status": "completed"})
    assert list(mass.value.errors) == ["status"]
    assert snapshot(store) == before

    amendment = svc.amend(
        training["id"],
        {
            "trainees_planned": 3,
            "operators": [
                {"name": "Centre Construform", "enterprise_number": OPERATOR_BCE},
                {"name": "CISP Le Trusquin", "enterprise_number": OPERATOR_2_BCE},
            ],
        },
    )
    assert (amendment["version"], amendment["status"], amendment["previous_id"]) == (2, "draft", training["id"])
    assert len(amendment["parties"]) == 3 and not any(p["signed_at"] for p in amendment["parties"])
    with pytest.raises(ValidationFailed) as second:
        svc.amend(training["id"], {"trainees_planned": 4})
    assert list(second.value.errors) == ["version"]
    # Until the amendment is signed, the old version rules: still two places.
    confirmed(svc, pid, "b-3")
    assert list(svc_error(svc, pid, enrolment("b-3"))) == ["trainees"]
    svc.submit(amendment["id"])
    in_force = sign_all(svc, amendment)
    assert in_force["status"] == "active"  # it takes over the running version
    old = svc.get_convention(training["id"])
    assert old["status"] == "superseded" and old["trainees_planned"] == 2
    assert svc.enrol(pid, enrolment("b-3"))["status"] == "in_training"
    signed = [json.loads(p) for p in outbox_payloads(store) if json.loads(p)["type"].endswith(".signed.v1")]
    assert [
        (e["data"]["kind"], e["data"]["version"]) for e in signed if e["dataschema"].split(":")[3] == "internal"
    ] == [("employer", 1), ("training", 1), ("training", 2)]


def outbox_payloads(store) -> list[str]:
    with store.engine.connect() as conn:
        return conn.execute(select(outbox.c.payload).order_by(outbox.c.seq)).scalars().all()


def test_committees_decide_within_the_schedule_and_among_the_parties(as_, store):
    svc = as_()
    project, _ = running_project(svc)
    pid = project["id"]
    confirmed(svc, pid, "b-1")
    trainee = svc.enrol(pid, enrolment("b-1", planned_end=(END - timedelta(days=30)).isoformat()))
    before = snapshot(store)
    meeting = {
        "kind": "follow_up",
        "held_on": (START + timedelta(days=30)).isoformat(),
        "attendees": ["mission", "employer"],
        "decisions": [],
    }
    for change, field in (
        ({"held_on": (END + timedelta(days=1)).isoformat()}, "held_on"),
        ({"attendees": ["mission", "operator:0000000097"]}, "attendees"),
        ({"kind": "steering"}, "kind"),
        ({"decisions": [{"trainee_id": "nobody", "kind": "remediation"}]}, "decisions"),
        (
            {
                "decisions": [
                    {
                        "trainee_id": trainee["id"],
                        "kind": "extend_training",
                        "until": (END + timedelta(days=20)).isoformat(),
                    }
                ]
            },
            "decisions",
        ),
        ({"decisions": [{"trainee_id": trainee["id"], "kind": "change_tutor"}]}, "decisions"),
        ({"minutes": "Le stagiaire traverse une période difficile"}, "minutes"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            svc.hold_committee(pid, dict(meeting, **change))
        assert field in refused.value.errors, change
    assert snapshot(store) == before
    with pytest.raises(Forbidden):
        as_(COUNSELLOR).hold_committee(pid, meeting)

    held = svc.hold_committee(
        pid,
        dict(
            meeting,
            decisions=[
                {"trainee_id": trainee["id"], "kind": "extend_training", "until": END.isoformat()},
                {
                    "trainee_id": trainee["id"],
                    "kind": "change_tutor",
                    "tutor": {"name": "Luc Renard", "function": "chef"},
                },
            ],
        ),
    )
    assert held["absent"] == [f"operator:{OPERATOR_BCE}"]
    after = svc.get_trainee(trainee["id"])
    assert after["planned_end"] == END.isoformat() and after["tutor_name"] == "Luc Renard"
    pedagogical = svc.hold_committee(
        pid,
        {
            "kind": "pedagogical",
            "held_on": (START + timedelta(days=60)).isoformat(),
            "attendees": ["mission", "employer", f"operator:{OPERATOR_BCE}"],
            "decisions": [{"trainee_id": trainee["id"], "kind": "end_training", "reason": "training_unsuited"}],
        },
    )
    assert pedagogical["absent"] == []
    assert svc.get_trainee(trainee["id"])["status"] == "dropped_out"
    assert [c["kind"] for c in svc.get_project(pid)["committees"]] == ["follow_up", "pedagogical"]


def test_completion_evaluates_the_commitment_per_convention_and_per_employer(as_, store):
    svc = as_()
    project, conventions = running_project(svc)
    pid = project["id"]
    trainees = []
    for n in (1, 2):
        confirmed(svc, pid, f"b-{n}")
        trainees.append(svc.enrol(pid, enrolment(f"b-{n}")))
    with pytest.raises(ValidationFailed) as still:
        svc.complete(conventions["training"]["id"])
    assert list(still.value.errors) == ["trainees"]
    for t in trainees:
        with pytest.raises(ValidationFailed) as not_done:
            svc.record_hire(t["id"], {"on": END.isoformat(), "contract_type": "permanent"})
        assert list(not_done.value.errors) == ["status"]
        with pytest.raises(ValidationFailed) as outside:
            svc.complete_trainee(t["id"], {"on": (END + timedelta(days=1)).isoformat()})
        assert list(outside.value.errors) == ["on"]
        svc.complete_trainee(t["id"], {"on": END.isoformat()})
    svc.complete(conventions["training"]["id"])
    with pytest.raises(ValidationFailed) as undecided:
        svc.complete(conventions["employer"]["id"])
    assert list(undecided.value.errors) == ["trainees"]
    with pytest.raises(ValidationFailed) as before_completion:
        svc.record_hire(trainees[0]["id"], {"on": (END - timedelta(days=1)).isoformat(), "contract_type": "permanent"})
    assert list(before_completion.value.errors) == ["on"]
    svc.record_hire(trainees[0]["id"], {"on": TODAY.isoformat(), "contract_type": "permanent"})
    svc.record_not_hired(trainees[1]["id"], {"on": TODAY.isoformat(), "reason": "level_not_reached"})
    employer = svc.complete(conventions["employer"]["id"])
    assert (employer["hires_actual"], employer["commitment_outcome"]) == (1, "partly")
    commitment = svc.convention_commitment(conventions["employer"]["id"])
    assert (commitment["hires_committed"], commitment["hires_actual"], commitment["outcome"]) == (2, 1, "partly")
    with pytest.raises(ValidationFailed):
        svc.convention_commitment(conventions["training"]["id"])
    per_employer = as_(COUNSELLOR).employer_commitments(project["employer_id"])
    assert per_employer["total"] == 1 and per_employer["outcomes"] == {"partly": 1}
    assert per_employer["hires_committed"] == 2 and per_employer["hires"] == 1
    with pytest.raises(ValidationFailed):
        svc.employer_commitments(project["employer_id"], 1, 1000)


def test_erasure_forgets_the_person_and_keeps_the_counts(as_, store):
    svc = as_()
    project, _ = running_project(svc)
    confirmed(svc, project["id"], "b-erase-me")
    trainee = svc.enrol(project["id"], enrolment("b-erase-me"))
    erased = make_event(
        source="/missions/mirec/beneficiary",
        type="be.mire.beneficiary.erased.v1",
        subject="b-erase-me",
        data={"beneficiary_id": "b-erase-me"},
    )
    handler = as_(handler="convention.on_beneficiary_erased")
    handler.on_beneficiary_erased(erased)
    handler.on_beneficiary_erased(erased)  # redelivered: applied once
    body = svc.get_project(project["id"])
    assert [t["beneficiary_id"] for t in body["trainees"]] == [None]
    assert [i["beneficiary_id"] for i in body["internships"]] == [None]
    assert svc.get_trainee(trainee["id"])["status"] == "in_training"
    with store.engine.connect() as conn:
        dump = "\n".join(
            str(tuple(r))
            for table in ("trainee", "internship", "trainee_transition")
            for r in conn.execute(text(f"SELECT * FROM {table}"))
        )
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() > 0
    assert "b-erase-me" not in dump
    assert "b-erase-me" not in "\n".join(outbox_payloads(store))  # events never named the person


def test_a_merged_provisional_file_takes_its_trainee_records_to_the_kept_file(as_, store):
    svc = as_()
    project, _ = running_project(svc)
    confirmed(svc, project["id"], "b-provisional")
    trainee = svc.enrol(project["id"], enrolment("b-provisional"))
    merged = make_event(
        source="/missions/mirec/beneficiary",
        type="be.mire.beneficiary.merged.v1",
        subject="b-provisional",
        data={"beneficiary_id": "b-provisional", "into": "b-kept"},
    )
    handler = as_(handler="convention.on_beneficiary_merged")
    handler.on_beneficiary_merged(merged)
    handler.on_beneficiary_merged(merged)  # redelivered: applied once
    body = svc.get_project(project["id"])
    assert [t["beneficiary_id"] for t in body["trainees"]] == ["b-kept"]
    assert [i["beneficiary_id"] for i in body["internships"]] == ["b-kept"]
    assert svc.get_trainee(trainee["id"])["status"] == "in_training", "the path goes on, under the kept file"


def test_reads_are_bounded_and_guarded(as_, store):
    svc = as_()
    for _ in range(3):
        svc.create_project(project_payload())
    page = svc.list_projects(None, 1, 2)
    assert page["total"] == 3 and len(page["items"]) == 2
    for args in ((None, 0, 10), (None, 1, 101), (None, 1, "10")):
        with pytest.raises(ValidationFailed):
            svc.list_projects(*args)
    with pytest.raises(Forbidden):
        as_(Actor("ana.analyst", "mirec", ("intermire_analyst",))).list_projects()
    with pytest.raises(Forbidden):
        as_(Actor("nora.counsellor", "mirena", ("counsellor",))).list_projects()
    with pytest.raises(NotFound):
        svc.get_project("0" * 36)


def test_a_cancelled_vacancy_stops_the_signature_and_drafts_keep_their_history(as_, store):
    svc = as_()
    project = svc.create_project(project_payload())
    employer = project["conventions"]["employer"][0]
    with pytest.raises(ValidationFailed) as stale:
        svc.update_convention(employer["id"], {"hires_committed": 3, "vacancy_id": "other"})
    assert list(stale.value.errors) == ["vacancy_id"]
    assert svc.update_convention(employer["id"], {"hires_committed": 3})["hires_committed"] == 3
    closed = make_event(
        source="/missions/mirec/employer",
        type="be.mire.employer.vacancy_closed.v1",
        subject=project["vacancy_id"],
        data={
            "vacancy_id": project["vacancy_id"],
            "employer_id": None,
            "source": "mission",
            "occupation": "F1703",
            "title": "Maçon H/F",
            "competences": [],
            "contract_type": None,
            "hours_per_week": None,
            "municipality": "52011",
            "posts": 1,
            "filled": 0,
            "status": "cancelled",
            "on": "2026-11-16",
            "start_date": None,
            "reason": "need_disappeared",
        },
    )
    as_(handler="convention.on_vacancy_closed").on_vacancy_closed(closed)
    assert svc.get_project(project["id"])["vacancy_status"] == "cancelled"
    with pytest.raises(ValidationFailed) as refused:
        svc.submit(employer["id"])
    assert list(refused.value.errors) == ["vacancy_id"]
    assert svc.cancel(employer["id"], "employer_withdrew")["status"] == "cancelled"
    history = svc.get_convention(employer["id"])["transitions"]
    assert [(t["to"], t["reason"]) for t in history] == [
        ("draft", None),
        ("draft", "terms_changed"),
        ("cancelled", "employer_withdrew"),
    ]
    assert event_types(store) == [("internal", "cancelled")]
