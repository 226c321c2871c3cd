"""The route table: every HTTP operation, the policy action it needs and the RPC that serves it.

One declaration per operation drives the dispatch (``gateway.app``), the
authorisation check (``kit.policy``), the OpenAPI document
(``gateway.openapi``) and the authorisation-matrix test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from beneficiary import schemas as beneficiary_schemas
from employer import schemas as employer_schemas

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug rule; <code> is the Mission
    action: str  # kit.policy action
    service: str
    rpc: str
    summary: str
    # (path params, query args, body) -> RPC positional args
    args: Callable[[dict, dict, object], list] = field(default=lambda p, q, b: [])
    body: type | None = None  # marshmallow schema of the request body
    status: int = 200
    personal: bool = False  # reads personal data: the gateway writes an audit line
    paginated: bool = False

    @property
    def scope(self) -> str:
        return "intermire" if self.path.startswith("/intermire") else "mission"


def page_args(query: dict) -> list:
    return [int(query.get("page", 1)), int(query.get("page_size", 25))]


def _id(name):
    return lambda p, q, b: [p[name]]


def _id_body(name):
    return lambda p, q, b: [p[name], b]


def _purpose(name):
    return lambda p, q, b: [p[name], q.get("purpose", "accompaniment")]


B = "/missions/<code>/beneficiaries"
E = "/missions/<code>/employers"
V = "/missions/<code>/vacancies"
bs, es = beneficiary_schemas, employer_schemas

ROUTES: list[Route] = [
    # Beneficiaries
    Route("GET", B, "beneficiary.read", "beneficiary", "list_beneficiaries", "List the Mission's beneficiaries",
          lambda p, q, b: [*page_args(q), q.get("purpose", "accompaniment")], personal=True, paginated=True),
    Route("POST", B, "beneficiary.register", "beneficiary", "register", "Intake: open a person's file",
          lambda p, q, b: [b], body=bs.IntakeSchema, status=201),
    Route("GET", B + "/<id>", "beneficiary.read", "beneficiary", "get", "A person's file", _purpose("id"),
          personal=True),
    Route("DELETE", B + "/<id>", "beneficiary.erase", "beneficiary", "erase", "Erase a person", _id("id")),
    Route("POST", B + "/<id>/assessments", "beneficiary.assess", "beneficiary", "assess",
          "Record a competence assessment", _id_body("id"), body=bs.AssessmentSchema, status=201),
    Route("GET", B + "/<id>/plan", "beneficiary.read", "beneficiary", "list_plans",
          "Every version of the insertion plan", _purpose("id"), personal=True),
    Route("POST", B + "/<id>/plan", "beneficiary.agree_plan", "beneficiary", "agree_plan",
          "Agree a new version of the insertion plan", _id_body("id"), body=bs.PlanSchema, status=201),
    Route("GET", B + "/<id>/pathway", "beneficiary.read", "beneficiary", "get_pathway",
          "The path and every move along it", _purpose("id"), personal=True),
    Route("POST", B + "/<id>/pathway/move", "beneficiary.move_stage", "beneficiary", "move_stage",
          "Move to a stage (skip, return or re-enter)", _id_body("id"), body=bs.StageMoveSchema),
    Route("POST", B + "/<id>/pathway/drop-out", "beneficiary.move_stage", "beneficiary", "drop_out",
          "Record a drop-out with its reason", _id_body("id"), body=bs.DropOutSchema),
    Route("POST", B + "/<id>/exit", "beneficiary.record_outcome", "beneficiary", "exit_path",
          "Close the path with its reason", _id_body("id"), body=bs.ExitSchema),
    Route("GET", B + "/<id>/notes/social", "beneficiary.notes.social", "beneficiary", "list_notes",
          "Social accompaniment notes", lambda p, q, b: [p["id"], "social", q.get("purpose", "accompaniment")],
          personal=True),
    Route("GET", B + "/<id>/notes/pedagogical", "beneficiary.notes.pedagogical", "beneficiary", "list_notes",
          "Pedagogical accompaniment notes",
          lambda p, q, b: [p["id"], "pedagogical", q.get("purpose", "accompaniment")], personal=True),
    Route("POST", B + "/<id>/notes/social", "beneficiary.notes.social", "beneficiary", "add_note",
          "Write a social accompaniment note", lambda p, q, b: [p["id"], {**b, "kind": "social"}],
          body=bs.NoteTextSchema, status=201),
    Route("POST", B + "/<id>/notes/pedagogical", "beneficiary.notes.pedagogical", "beneficiary", "add_note",
          "Write a pedagogical accompaniment note", lambda p, q, b: [p["id"], {**b, "kind": "pedagogical"}],
          body=bs.NoteTextSchema, status=201),
    Route("POST", B + "/<id>/outcomes/contract", "beneficiary.record_outcome", "beneficiary", "record_contract",
          "Record the first contract signed", _id_body("id"), body=bs.ContractSchema, status=201),
    Route("POST", B + "/<id>/outcomes/six-month-check", "beneficiary.record_outcome", "beneficiary",
          "record_six_month_check", "Record the six-month employment check", _id_body("id"),
          body=bs.FollowUpSchema),
    Route("POST", B + "/<id>/consents", "beneficiary.record_consent", "beneficiary", "record_disclosure",
          "Record a legal basis or consent for an agency", _id_body("id"), body=bs.DisclosureSchema,
          status=201),
    Route("DELETE", B + "/<id>/consents/<agency>", "beneficiary.record_consent", "beneficiary",
          "withdraw_disclosure", "Withdraw a disclosure", lambda p, q, b: [p["id"], p["agency"]]),
    # Employers, prospection and vacancies
    Route("GET", E, "employer.read", "employer", "list_employers", "List the Mission's employers",
          lambda p, q, b: page_args(q), paginated=True),
    Route("POST", E, "employer.register", "employer", "register", "Register an employer", lambda p, q, b: [b],
          body=es.EmployerIntakeSchema, status=201),
    Route("GET", E + "/<id>", "employer.read", "employer", "get", "An employer and its contacts", _id("id")),
    Route("POST", E + "/<id>/contacts", "employer.register", "employer", "add_contact", "Add a contact",
          _id_body("id"), body=es.ContactSchema, status=201),
    Route("GET", E + "/<id>/visits", "employer.read", "employer", "prospection_history",
          "Prospection history", _id("id")),
    Route("POST", E + "/<id>/visits", "employer.register", "employer", "log_prospection",
          "Log a visit, call or e-mail", _id_body("id"), body=es.ProspectionSchema, status=201),
    Route("POST", E + "/<id>/vacancies", "employer.vacancy.write", "employer", "create_vacancy",
          "Draft a vacancy", lambda p, q, b: [{**b, "employer_id": p["id"]}], body=es.VacancySchema,
          status=201),
    Route("GET", V, "employer.read", "employer", "list_vacancies", "List vacancies (by status)",
          lambda p, q, b: [q.get("status"), *page_args(q)], paginated=True),
    Route("GET", V + "/<id>", "employer.read", "employer", "get_vacancy", "A vacancy and its history",
          _id("id")),
    Route("PATCH", V + "/<id>", "employer.vacancy.write", "employer", "update_vacancy", "Change a vacancy",
          _id_body("id"), body=es.VacancyUpdateSchema),
    Route("POST", V + "/<id>/open", "employer.vacancy.write", "employer", "open_vacancy", "Open a vacancy",
          _id("id")),
    Route("POST", V + "/<id>/close", "employer.vacancy.write", "employer", "close_vacancy", "Close a vacancy",
          _id("id")),
    Route("POST", V + "/<id>/cancel", "employer.vacancy.write", "employer", "cancel_vacancy",
          "Cancel a vacancy with its reason", lambda p, q, b: [p["id"], b["reason"]], body=es.CancelSchema),
    Route("POST", V + "/<id>/fill", "employer.vacancy.fill", "employer", "fill_vacancy",
          "One post filled by a beneficiary", lambda p, q, b: [p["id"], b["beneficiary_id"]],
          body=es.FillSchema),
    Route("GET", "/missions/<code>/occupation-suggestions", "employer.read", "employer", "suggest_occupations",
          "Occupation codes for a free-text job title",
          lambda p, q, b: [q.get("title", ""), int(q.get("limit", 5))]),
    # Indicators
    Route("GET", "/missions/<code>/indicators", "reporting.read", "reporting", "indicators",
          "The Mission's indicators"),
    Route("GET", "/intermire/indicators", "reporting.sector", "reporting", "sector_indicators",
          "Sector-wide indicators (pseudonyms and counts only)"),
]
