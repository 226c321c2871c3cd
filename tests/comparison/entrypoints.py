"""The same calls to every entrypoint of beneficiary, employer, convention and matching, printed as JSON.

Run on the base code and on this tree by ``tests/comparison/run.sh``, which compares the two field by field
(``diff.py``): every answer and refusal (class and fields), then every row of every table of the four
databases (audit rows and outbox payloads included). The services run as ``kit.testing.worker`` on migrated
SQLite files, with a fixed clock and deterministic ids; each call is made by the actor allowed to, and for
most also first by a caller without roles and by one of another Mission. Times of the wall clock (outbox and
inbox stamps, event times) are written ``<now>``. Not a pytest module: it needs two trees.
"""

import os
import sys

os.environ["PASSERELLE_ENV"] = "development"
import eventlet  # noqa: E402

eventlet.monkey_patch()

import itertools  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

_ids = itertools.count(1)
uuid.uuid4 = lambda: uuid.UUID(int=next(_ids))  # deterministic ids: the same in both runs

import sqlalchemy as sa  # noqa: E402
from beneficiary import service as bsvc  # noqa: E402
from convention import service as csvc  # noqa: E402
from employer import service as esvc  # noqa: E402
from matching import service as msvc  # noqa: E402
from matching.index import _Facade, _Shared  # noqa: E402

from contracts.envelope import make_event  # noqa: E402
from kit.actor import Actor  # noqa: E402
from kit.taxonomy import DEMO_DIR, load  # noqa: E402
from kit.testing import FixedClock, migrated, worker  # noqa: E402
from runtime.demo import DemoFactory  # noqa: E402

TODAY = date.today()
CLOCK = FixedClock(datetime(TODAY.year, TODAY.month, TODAY.day, 9, 30, tzinfo=UTC))
for module, cls in (
    (bsvc, "BeneficiaryService"),
    (esvc, "EmployerService"),
    (csvc, "ConventionService"),
    (msvc, "MatchingService"),
):
    for name in ("clock", "CLOCK"):
        if hasattr(module, name):
            setattr(module, name, CLOCK)
    if hasattr(getattr(module, cls), "clock"):
        getattr(module, cls).clock = CLOCK

ALL = ("counsellor", "director", "project_lead", "employer_relations", "social_worker", "psychologist")
BOSS = Actor("dora.director", "mirec", ("director",))
LEAD = Actor("paula.lead", "mirec", ("project_lead",))
COUNSELLOR = Actor("anne.counsellor", "mirec", ("counsellor",))
AGENT = Actor("eric.agent", "mirec", ("employer_relations",))
SOCIAL = Actor("sami.social", "mirec", ("social_worker",))
NOBODY = Actor("x.nobody", "mirec", ())
OTHER = Actor("nora.counsellor", "mirena", ("counsellor",))
ACTORS = [BOSS, LEAD, COUNSELLOR, AGENT, SOCIAL, NOBODY, OTHER]
out = []
STAMP = re.compile(rf"{TODAY.isoformat()}[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
FIXED = CLOCK.at.isoformat()


def norm(value):
    text = json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)
    return json.loads(STAMP.sub(lambda m: "<fixed>" if m.group(0).startswith(FIXED[:19]) else "<now>", text))


class Known:
    """The owners' side of kit.references, answered from what this run registered."""

    def __init__(self):
        self.people, self.employers, self.vacancies = set(), set(), {}

    def known_beneficiaries(self, ids):
        return {i: None for i in ids if i in self.people}

    def known_employers(self, ids):
        return {i: None for i in ids if i in self.employers}

    def known_vacancies(self, ids):
        return {i: self.vacancies[i] for i in ids if i in self.vacancies}


KNOWN = Known()
tmp = tempfile.mkdtemp()
stores = {}
for service in ("beneficiary", "employer", "convention", "matching"):
    stores[service] = migrated(service, f"sqlite:///{tmp}/{service}.sqlite").__enter__()
TAX = _Facade(_Shared(load(str(DEMO_DIR))))


def workers(actor):
    return {
        "beneficiary": worker(bsvc.BeneficiaryService, stores["beneficiary"], actor, employer=KNOWN),
        "employer": worker(esvc.EmployerService, stores["employer"], actor, beneficiary=KNOWN),
        "convention": worker(csvc.ConventionService, stores["convention"], actor, beneficiary=KNOWN, employer=KNOWN),
        "matching": worker(msvc.MatchingService, stores["matching"], actor, index=TAX),
    }


W = {actor: workers(actor) for actor in ACTORS}


import atexit  # noqa: E402


def _dump_on_failure():
    if not getattr(sys, "_done", False):
        sys.stderr.write(json.dumps(out[-3:], indent=1, ensure_ascii=False) + "\n")


atexit.register(_dump_on_failure)


def call(service, method, *args, actor=BOSS, everyone=False, **kwargs):
    """The call as ``actor``; with ``everyone``, first as each actor that should be refused (nothing written)."""
    if everyone:
        for other in (NOBODY, OTHER):
            call(service, method, *args, actor=other, **kwargs)
    try:
        answer = getattr(W[actor][service], method)(*args, **kwargs)
        out.append({"call": [service, method, actor.sub], "answer": norm(answer)})
        return answer
    except Exception as exc:  # noqa: BLE001 - recorded, compared
        detail = {k: v for k, v in vars(exc).items()} if vars(exc) else list(exc.args)
        out.append({"call": [service, method, actor.sub], "raised": type(exc).__name__, "detail": norm(detail)})
        return None


def deliver(service, handler, event):
    try:
        getattr(W[BOSS][service], handler)(event)
        out.append({"event": [service, handler, event.type], "applied": True})
    except Exception as exc:  # noqa: BLE001
        out.append(
            {"event": [service, handler, event.type], "raised": type(exc).__name__, "detail": norm(list(exc.args))}
        )


def outbox_events(service):
    with stores[service].engine.connect() as conn:
        return [json.loads(r.payload) for r in conn.execute(sa.text("SELECT payload FROM outbox ORDER BY seq"))]


START, END = TODAY - timedelta(days=120), TODAY - timedelta(days=10)
OPERATOR_BCE = "0403170701"
demo = DemoFactory(seed=31)

# -- employer ------------------------------------------------------------------------------------------
emp = call("employer", "register", DemoFactory(seed=61).employer("50000"), everyone=True)
call("employer", "register", DemoFactory(seed=61).employer("50000"))  # conflict
call("employer", "register", {"name": ""})
eid = emp["id"]
KNOWN.employers.add(eid)
call("employer", "known_employers", [eid, "nope"], everyone=True)
call("employer", "known_employers", "not a list")
call("employer", "get", eid, everyone=True)
call("employer", "get", "missing")
call(
    "employer",
    "add_contact",
    eid,
    {"name": "Julie Lambert", "function": "gérante", "phone": "+32 65 123456"},
    everyone=True,
)
call("employer", "add_contact", eid, {"name": ""})
call("employer", "add_contact", "missing", {"name": "X"})
call("employer", "get", eid)
call("employer", "list_employers", everyone=True)
call("employer", "list_employers", 1, 1000)
call("employer", "list_employers", 0, 10)
call("employer", "count", everyone=True)
call(
    "employer",
    "log_prospection",
    eid,
    {
        "kind": "visit",
        "on": TODAY.isoformat(),
        "summary": "Besoins en maçons",
        "needs": [{"kind": "explicit", "occupation": "F1703", "description": "deux maçons"}],
        "next_action": "Rappeler",
        "next_action_due": (TODAY + timedelta(days=3)).isoformat(),
    },
    actor=AGENT,
    everyone=True,
)
call("employer", "log_prospection", eid, {"kind": "nonsense"}, actor=AGENT)
call("employer", "prospection_history", eid, everyone=True)
vac = {
    "employer_id": eid,
    "title": "Maçon",
    "occupation": "F1703",
    "description": "Gros oeuvre",
    "contract_type": "permanent",
    "hours_per_week": 38,
    "municipality": "52011",
    "posts": 2,
    "competences": [{"code": "900001", "level": 2, "essential": True}],
}
v = call("employer", "create_vacancy", vac, actor=AGENT, everyone=True)
call("employer", "create_vacancy", dict(vac, posts=0), actor=AGENT)
call("employer", "create_vacancy", dict(vac, employer_id="missing"), actor=AGENT)
vid = v["id"]
KNOWN.vacancies[vid] = eid
call("employer", "known_vacancies", [vid, "x"])
call("employer", "update_vacancy", vid, {"title": "Maçon qualifié"}, actor=AGENT, everyone=True)
call("employer", "update_vacancy", vid, {"employer_id": "other"}, actor=AGENT)
call("employer", "update_vacancy", vid, {"hours_per_week": 99}, actor=AGENT)
call("employer", "fill_vacancy", vid, "b-x", actor=AGENT)  # unknown person
call("employer", "open_vacancy", vid, actor=AGENT, everyone=True)
call("employer", "open_vacancy", vid, actor=AGENT)  # already open
call("employer", "update_vacancy", vid, {"hours_per_week": 36}, actor=AGENT)
v2 = call("employer", "create_vacancy", dict(vac, posts=1), actor=AGENT)
call("employer", "cancel_vacancy", v2["id"], "nonsense", actor=AGENT, everyone=True)
call("employer", "cancel_vacancy", v2["id"], "employer_withdrew", actor=AGENT)
v3 = call("employer", "create_vacancy", dict(vac, posts=1), actor=AGENT)
call("employer", "open_vacancy", v3["id"], actor=AGENT)
call("employer", "close_vacancy", v3["id"], actor=AGENT, everyone=True)
call("employer", "close_vacancy", "missing", actor=AGENT)
call("employer", "get_vacancy", vid, everyone=True)
call("employer", "list_vacancies", everyone=True)
call("employer", "list_vacancies", "open", 1, 2)
call("employer", "search", {"name": "a"}, everyone=True)
call("employer", "search", {"bogus": 1})
call("employer", "search")
call("employer", "due", everyone=True)
call("employer", "due", None, 10000)
call(
    "employer",
    "import_offers",
    [
        {
            "line": 2,
            "source_ref": "123456",
            "title": "Vendeur",
            "occupation": "D1214",
            "description": "Vente",
            "contract_type": "permanent",
            "hours_per_week": 38,
            "municipality": "52011",
            "posts": 1,
            "open": True,
        },
        {"line": 3, "title": "x"},
    ],
    everyone=True,
)
call("employer", "import_offers", "not a list")
call("employer", "import_offers", [])

# -- beneficiary ---------------------------------------------------------------------------------------
people = []
for n in range(4):
    data = DemoFactory(seed=70 + n).beneficiary("50000")
    data["target_groups"] = [
        {"group": "long_term_unemployed", "evidence": "inscrit depuis 2023", "since": "2023-01-10"},
        {"group": "justice_measure", "evidence": "mesure judiciaire alternative", "since": "2024-05-01"},
    ]
    data["disclosures"] = [
        {
            "agency": "forem",
            "basis": "legal_basis",
            "reference": "décret MIRE art. 5",
            "agency_reference": f"FOR-12345{n}",
            "given_on": data["registered_on"],
        }
    ]
    p = call("beneficiary", "register", data, actor=COUNSELLOR, everyone=(n == 0))
    people.append(p["id"])
    KNOWN.people.add(p["id"])
call("beneficiary", "register", data, actor=COUNSELLOR)  # conflict
call("beneficiary", "register", dict(data, niss="12345678901"), actor=COUNSELLOR)
pid = people[0]
for actor in (COUNSELLOR, SOCIAL, AGENT, NOBODY, OTHER):
    call("beneficiary", "get", pid, actor=actor)
call("beneficiary", "get", "missing")
call("beneficiary", "list_beneficiaries", everyone=True)
call("beneficiary", "list_beneficiaries", 1, 500)
call("beneficiary", "count", everyone=True)
call("beneficiary", "known_beneficiaries", [pid, "x"], everyone=True)
call("beneficiary", "known_beneficiaries", [1, 2])
call(
    "beneficiary",
    "record_disclosure",
    pid,
    {"agency": "actiris", "basis": "consent", "reference": "consentement écrit", "given_on": TODAY.isoformat()},
    everyone=True,
)
call("beneficiary", "record_disclosure", pid, {"agency": "nowhere"}, actor=NOBODY)
call("beneficiary", "record_disclosure", pid, {"agency": "nowhere"})
call("beneficiary", "withdraw_disclosure", pid, "actiris", everyone=True)
call("beneficiary", "withdraw_disclosure", pid, "nowhere")
call("beneficiary", "withdraw_disclosure", "missing", "forem")
comp = {
    "competences": [
        {"code": "900001", "level": 2, "kind": "technical", "source": "work"},
        {"code": "900002", "level": 3, "kind": "behavioural", "source": "other"},
    ]
}
call("beneficiary", "assess", pid, comp, actor=COUNSELLOR, everyone=True)
call("beneficiary", "assess", people[2], comp, actor=COUNSELLOR)
call(
    "beneficiary",
    "assess",
    pid,
    {"competences": [{"code": "999999", "level": 2, "kind": "technical", "source": "work"}]},
    actor=COUNSELLOR,
)
call("beneficiary", "assess", pid, {}, actor=NOBODY)
plan = {
    "target_occupations": ["F1703"],
    "missing_competences": ["900003"],
    "actions": [
        {
            "kind": "confirmation_internship",
            "description": "deux semaines chez un maçon",
            "due": (TODAY + timedelta(days=20)).isoformat(),
        }
    ],
    "contract_wishes": ["permanent", "fixed_term"],
    "mobility_km": 25,
    "agreed_with_person": True,
}
call("beneficiary", "agree_plan", pid, plan, actor=COUNSELLOR, everyone=True)
call("beneficiary", "agree_plan", people[2], plan, actor=COUNSELLOR)
call("beneficiary", "agree_plan", pid, dict(plan, mobility_km=40), actor=COUNSELLOR)
call("beneficiary", "agree_plan", pid, dict(plan, target_occupations=["Z9999"]), actor=COUNSELLOR)
call("beneficiary", "list_plans", pid, everyone=True)
for stage in ("orientation", "formation"):
    call("beneficiary", "move_stage", pid, {"to": stage, "why": "projet confirmé"}, everyone=(stage == "orientation"))
call("beneficiary", "move_stage", pid, {"to": "nowhere"})
call("beneficiary", "drop_out", pid, {"reason": "family"}, everyone=True)
call("beneficiary", "drop_out", pid, {"reason": "family"})
call("beneficiary", "move_stage", pid, {"to": "formation", "why": "retour"})
call("beneficiary", "move_stage", pid, {"to": "placement"})
call("beneficiary", "get_pathway", pid, everyone=True)
call("beneficiary", "get_pathway", "missing")
for kind, actor in (("accompaniment", COUNSELLOR), ("social", SOCIAL), ("social", COUNSELLOR), ("nonsense", BOSS)):
    call("beneficiary", "add_note", pid, {"kind": kind, "text": "Suivi confidentiel"}, actor=actor)
call("beneficiary", "add_note", pid, {"kind": "social"}, actor=NOBODY)
for kind, actor in (
    ("accompaniment", COUNSELLOR),
    ("social", SOCIAL),
    ("social", COUNSELLOR),
    ("nonsense", BOSS),
    ("social", NOBODY),
    ("nonsense", NOBODY),
):
    call("beneficiary", "list_notes", pid, kind, actor=actor)
signed_on = TODAY - timedelta(days=200)
contract = {"signed_on": signed_on.isoformat(), "employer_id": eid, "contract_type": "permanent", "hours_per_week": 38}
call("beneficiary", "record_contract", pid, dict(contract, employer_id="nope"))
call("beneficiary", "record_contract", pid, {"signed_on": "x"}, actor=NOBODY)
call("beneficiary", "record_contract", pid, contract, everyone=True)
call(
    "beneficiary",
    "record_six_month_check",
    pid,
    {"checked_on": (signed_on + timedelta(days=30)).isoformat(), "still_employed": True, "source": "phone"},
)
call(
    "beneficiary",
    "record_six_month_check",
    pid,
    {"checked_on": TODAY.isoformat(), "still_employed": True, "source": "employer"},
    everyone=True,
)
call("beneficiary", "exit_path", people[1], {"reason": "moved"}, everyone=True)
call("beneficiary", "exit_path", people[1], {"reason": "moved"})
call("beneficiary", "exit_path", people[1], {"reason": "nonsense"})
call("beneficiary", "search", {"name": data["last_name"][:3]}, everyone=True)
call("beneficiary", "search", {"niss": data["niss"]})
call("beneficiary", "search", {"bogus": 1})
call("beneficiary", "caseload", everyone=True, actor=COUNSELLOR)
call("beneficiary", "caseload", "anne.counsellor", 1, 10, "accompaniment", "accueil")
call("beneficiary", "caseload", None, 1, 10, "accompaniment", "nowhere")
call("beneficiary", "list_assessments", pid, everyone=True)
call("beneficiary", "list_assessments", "missing")
call("beneficiary", "due", everyone=True)
call("beneficiary", "due", "anne.counsellor", 400)
call("beneficiary", "due", None, -1)

call("employer", "fill_vacancy", vid, 12, actor=AGENT)
call("employer", "fill_vacancy", vid, people[0], actor=AGENT, everyone=True)
call("employer", "get_vacancy", vid)

# -- convention ----------------------------------------------------------------------------------------
project = {
    "title": "Maçons pour Gosselies",
    "vacancy_id": vid,
    "employer_id": eid,
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
        "trainees_planned": 3,
    },
}
call("convention", "create_project", dict(project, vacancy_id="nope"), actor=LEAD)
call("convention", "create_project", dict(project, employer_id="nope"), actor=LEAD)
call("convention", "create_project", {"title": ""}, actor=LEAD)
proj = call("convention", "create_project", project, actor=LEAD, everyone=True)
prj = proj["id"]
ec, tc = proj["conventions"]["employer"][0]["id"], proj["conventions"]["training"][0]["id"]
cancelled = call("convention", "create_project", project, actor=LEAD)
draft = cancelled["conventions"]["employer"][0]["id"]
call("convention", "update_convention", draft, {"hours_per_week": 32}, actor=LEAD, everyone=True)
call("convention", "update_convention", draft, {"hours_per_week": "many"}, actor=LEAD)
call("convention", "cancel", draft, "nonsense", actor=LEAD, everyone=True)
call("convention", "cancel", draft, "duplicate", actor=LEAD)
call("convention", "sign", ec, {"party": "employer", "signer_name": "Julie Lambert"}, actor=LEAD)
call("convention", "submit", ec, actor=LEAD, everyone=True)
call("convention", "sign", ec, {"party": f"operator:{OPERATOR_BCE}", "signer_name": "Paul"}, actor=LEAD)
call("convention", "sign", ec, {"party": "mission", "signer_name": "Anne"}, actor=COUNSELLOR)
call(
    "convention",
    "sign",
    ec,
    {"party": "employer", "signer_name": "Julie Lambert", "signer_function": "gérante"},
    actor=LEAD,
    everyone=True,
)
call("convention", "sign", ec, {"party": "mission", "signer_name": "Dora Director"}, actor=BOSS)
call("convention", "submit", tc, actor=LEAD)
call("convention", "sign", tc, {"party": f"operator:{OPERATOR_BCE}", "signer_name": "Paul Maes"}, actor=LEAD)
call("convention", "sign", tc, {"party": "mission", "signer_name": "Dora Director"}, actor=BOSS)
call("convention", "activate", ec, actor=LEAD, everyone=True)
call("convention", "activate", tc, actor=LEAD)
call("convention", "amend", ec, {"hires_committed": 3}, actor=LEAD, everyone=True)
call("convention", "amend", ec, {"hires_committed": -3}, actor=LEAD)
internship = {
    "start_date": (START - timedelta(days=15)).isoformat(),
    "end_date": (START - timedelta(days=5)).isoformat(),
}
for person, outcome in zip(people, ("confirmed", "confirmed", "reoriented", "confirmed"), strict=True):
    call(
        "convention",
        "record_internship",
        prj,
        dict(internship, beneficiary_id=person, outcome=outcome),
        actor=COUNSELLOR,
        everyone=(outcome == "reoriented"),
    )
call(
    "convention",
    "record_internship",
    prj,
    dict(internship, beneficiary_id="nope", host_employer_id="nope2", outcome="confirmed"),
    actor=COUNSELLOR,
)
tutor = {"name": "Jean Lemaire", "function": "chef de chantier"}
enrolment = {"start_date": START.isoformat(), "planned_end": END.isoformat(), "tutor": tutor}
call("convention", "enrol", prj, dict(enrolment, beneficiary_id=people[2]), actor=COUNSELLOR)
call("convention", "enrol", prj, dict(enrolment, beneficiary_id="nope"), actor=COUNSELLOR)
call(
    "convention",
    "enrol",
    prj,
    dict(enrolment, beneficiary_id=people[0], start_date=(START - timedelta(days=1)).isoformat()),
    actor=COUNSELLOR,
)
t1 = call("convention", "enrol", prj, dict(enrolment, beneficiary_id=people[0]), actor=COUNSELLOR, everyone=True)
t2 = call("convention", "enrol", prj, dict(enrolment, beneficiary_id=people[1]), actor=COUNSELLOR)
t3 = call("convention", "enrol", prj, dict(enrolment, beneficiary_id=people[3]), actor=COUNSELLOR)
call("convention", "enrol", prj, dict(enrolment, beneficiary_id=people[3]), actor=COUNSELLOR)
call(
    "convention",
    "hold_committee",
    prj,
    {
        "kind": "follow_up",
        "held_on": (START + timedelta(days=45)).isoformat(),
        "attendees": ["mission", "employer", f"operator:{OPERATOR_BCE}"],
        "decisions": [{"trainee_id": t2["id"], "kind": "remediation"}],
    },
    actor=LEAD,
    everyone=True,
)
call("convention", "hold_committee", prj, {"kind": "nonsense"}, actor=LEAD)
call("convention", "complete_trainee", t1["id"], {"on": END.isoformat()}, actor=COUNSELLOR, everyone=True)
call("convention", "complete_trainee", t1["id"], {"on": END.isoformat()}, actor=COUNSELLOR)
call(
    "convention",
    "record_hire",
    t1["id"],
    {"on": TODAY.isoformat(), "contract_type": "permanent"},
    actor=COUNSELLOR,
    everyone=True,
)
call(
    "convention",
    "record_not_hired",
    t2["id"],
    {"on": TODAY.isoformat(), "reason": "no_post_left"},
    actor=COUNSELLOR,
    everyone=True,
)
call("convention", "complete_trainee", t2["id"], {"on": END.isoformat()}, actor=COUNSELLOR)
call("convention", "record_not_hired", t2["id"], {"on": TODAY.isoformat(), "reason": "no_post_left"}, actor=COUNSELLOR)
call("convention", "drop_out", t3["id"], {"on": END.isoformat(), "reason": "health"}, actor=COUNSELLOR, everyone=True)
call("convention", "drop_out", t2["id"], {"on": END.isoformat(), "reason": "health"}, actor=COUNSELLOR)
call("convention", "terminate", tc, "nonsense", actor=LEAD, everyone=True)
call("convention", "terminate", tc, "too_few_trainees", actor=LEAD)
call("convention", "complete", tc, actor=LEAD, everyone=True)
call("convention", "complete", ec, actor=LEAD)
call("convention", "terminate", ec, "nonsense", actor=LEAD, everyone=True)
call("convention", "terminate", ec, "too_few_trainees", actor=LEAD)
for method, args in (
    ("get_trainee", (t1["id"],)),
    ("get_trainee", ("missing",)),
    ("get_project", (prj,)),
    ("get_convention", (ec,)),
    ("get_convention", (tc,)),
    ("list_projects", ()),
    ("list_projects", (eid, 1, 1)),
    ("list_projects", (None, 1, 1000)),
    ("convention_commitment", (ec,)),
    ("convention_commitment", (tc,)),
    ("employer_commitments", (eid,)),
    ("employer_commitments", (eid, 0, 1)),
    ("due", ()),
    ("due", ("paula.lead", 400)),
    ("due", (None, "x")),
):
    call("convention", method, *args, actor=COUNSELLOR, everyone=True)
vacancy_events = [e for e in outbox_events("employer") if e["type"].startswith("be.mire.employer.vacancy")]
erased_person = people[3]

# -- matching ------------------------------------------------------------------------------------------
for e in outbox_events("beneficiary"):
    if e["type"].split(".")[3] in ("assessed", "plan_agreed", "contract_signed") and e["type"].startswith(
        "be.mire.beneficiary"
    ):
        ev = make_event(source=e["source"], type=e["type"], data=e["data"], subject=e.get("subject"))
        kind = e["type"].split(".")[3]
        if kind == "assessed":
            W[BOSS]["matching"].on_assessed([ev])
            out.append({"event": ["matching", "on_assessed", ev.type]})
        else:
            deliver("matching", f"on_{kind}", ev)
for e in vacancy_events:
    ev = make_event(source=e["source"], type=e["type"], data=e["data"], subject=e.get("subject"))
    kind = e["type"].split(".")[3]
    deliver("matching", f"on_{kind}", ev)
    deliver("matching", f"on_{kind}", ev)  # redelivered: applied once
    if kind in ("vacancy_closed", "vacancy_filled"):
        deliver("convention", f"on_{kind}", ev)
        deliver("convention", f"on_{kind}", ev)
bad = make_event(source="/missions/mirec/employer", type="be.mire.employer.vacancy_opened.v1", data={"x": 1})
deliver("matching", "on_vacancy_opened", bad)
call("matching", "suggest_occupations", "maçon", 3, everyone=True)
call("matching", "suggest_occupations", "m", 3)
call("matching", "occupation", "F1703", everyone=True)
call("matching", "occupation", "Z9999")
call("matching", "occupation", "bad")
call("matching", "rank_candidates", vid, 5, everyone=True)
call("matching", "rank_candidates", "missing", 5)
call("matching", "rank_candidates", vid, 0)
call("matching", "rank_vacancies", pid, 5, everyone=True)
call("matching", "rank_vacancies", "missing")
call("matching", "rank_vacancies", people[2], 5)
prop = call("matching", "propose", vid, people[2], actor=COUNSELLOR, everyone=True)
call("matching", "propose", vid, people[2], actor=COUNSELLOR)
call("matching", "propose", vid, pid, actor=COUNSELLOR)
call("matching", "propose", "nope", "nope2", actor=COUNSELLOR)
call("matching", "propose", vid, "", actor=COUNSELLOR)
if prop:
    call("matching", "move_proposal", prop["id"], "presented", actor=COUNSELLOR, everyone=True)
    call("matching", "move_proposal", prop["id"], "rejected", actor=COUNSELLOR)
    call("matching", "move_proposal", prop["id"], "bogus", actor=COUNSELLOR)
    call("matching", "get_proposal", prop["id"], everyone=True)
call("matching", "move_proposal", "missing", "presented", actor=COUNSELLOR)
call("matching", "get_proposal", "missing")
call("matching", "list_proposals", vid, everyone=True)
call("matching", "list_proposals")
call("matching", "list_proposals", None, pid, 1000)

# -- erasure last: every service forgets -------------------------------------------------------------
call("beneficiary", "erase", erased_person, everyone=True)
call("beneficiary", "erase", erased_person)
for e in outbox_events("beneficiary"):
    if e["type"] == "be.mire.beneficiary.erased.v1":
        ev = make_event(source=e["source"], type=e["type"], data=e["data"], subject=e.get("subject"))
        deliver("convention", "on_beneficiary_erased", ev)
        deliver("matching", "on_erased", ev)
pseudonym = next(e["data"]["pseudonym"] for e in outbox_events("beneficiary") if "pseudonym" in e["data"])
signal_ev = make_event(
    source="/intermire/reporting",
    type="be.mire.reporting.followed_elsewhere.v1",
    data={"pseudonym": pseudonym, "missions": ["mirec", "mirena"]},
    audience="signal",
)
deliver("beneficiary", "on_followed_elsewhere", signal_ev)

# -- every table of every database ---------------------------------------------------------------------
for service, store in stores.items():
    with store.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            if table == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in conn.execute(sa.text(f'SELECT * FROM "{table}"'))]
            for row in rows:
                if "payload" in row and isinstance(row["payload"], str):
                    row["payload"] = json.loads(row["payload"])
            out.append(
                {"table": [service, table], "rows": norm(sorted(rows, key=lambda r: json.dumps(r, default=str)))}
            )
sys._done = True
json.dump(out, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
