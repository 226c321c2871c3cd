"""Convention routes: training projects, their two conventions and signatures, internships, trainees, committees.

A training project (``/projects``) holds a Mission–employer convention and a
Mission–training-operator(s) convention (``/conventions/{id}``), each with
its versions; every state change is an explicit transition
(``POST /conventions/{id}/sign``, ``…/submit``, ``…/cancel``…) checked by
the service's role-guarded state machine.
"""

from convention import enums
from convention import queries as convention_queries
from convention import schemas as cs
from marshmallow import RAISE, Schema, fields, validate

from gateway.route import Route, body_only, by_id, by_id_body, page_args

P = "/missions/<code>/projects"
C = "/missions/<code>/conventions"
T = "/missions/<code>/trainees"


class TermsChangeSchema(cs.EmployerTermsSchema, cs.TrainingTermsSchema):
    """Terms to change, of either kind of convention; the service refuses those of the other kind."""


# Every term is optional in a change: the instance is partial, and so is its OpenAPI schema.
TERMS_CHANGE = TermsChangeSchema(partial=True)


class CancelSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.OneOf(enums.CANCEL_REASONS))


class TerminateSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.OneOf(enums.TERMINATE_REASONS))


def _transition(verb: str, summary: str) -> Route:
    return Route("POST", f"{C}/<id>/{verb}", "convention.write", "convention", verb, summary, by_id())


def _trainee(path: str, rpc: str, summary: str, schema) -> Route:
    return Route("POST", f"{T}/<id>/{path}", "convention.enrol", "convention", rpc, summary, by_id_body(), body=schema)


ROUTES = [
    Route(
        "GET",
        P,
        "convention.read",
        "convention",
        "list_projects",
        "List training projects (by employer)",
        lambda p, q, b: [q.get("employer_id"), *page_args(q)],
        paginated=True,
        query={"employer_id": fields.String(validate=validate.Length(1, 36))},
    ),
    Route(
        "POST",
        P,
        "convention.write",
        "convention",
        "create_project",
        "Draft a training project and its two conventions",
        body_only,
        body=cs.ProjectSchema,
        status=201,
    ),
    # A project names its trainees (by reference) and their internships: a read of personal data, audited.
    Route(
        "GET",
        P + "/<id>",
        "convention.read",
        "convention",
        "get_project",
        "A project with its conventions, internships, trainees and committees",
        by_id(),
        personal=True,
    ),
    Route(
        "POST",
        P + "/<id>/internships",
        "convention.enrol",
        "convention",
        "record_internship",
        "Record a confirmation internship and its outcome",
        by_id_body(),
        body=cs.InternshipSchema,
        status=201,
    ),
    Route(
        "POST",
        P + "/<id>/trainees",
        "convention.enrol",
        "convention",
        "enrol",
        "Enrol a trainee whose confirmation internship confirmed",
        by_id_body(),
        body=cs.EnrolmentSchema,
        status=201,
    ),
    Route(
        "POST",
        P + "/<id>/committees",
        "convention.committee",
        "convention",
        "hold_committee",
        "Record a follow-up or pedagogical committee and its decisions",
        by_id_body(),
        body=cs.CommitteeSchema,
        status=201,
    ),
    Route(
        "GET",
        C + "/<id>",
        "convention.read",
        "convention",
        "get_convention",
        "A convention with its parties, signatures and every transition",
        by_id(),
    ),
    Route(
        "PATCH",
        C + "/<id>",
        "convention.write",
        "convention",
        "update_convention",
        "Change a draft's terms",
        by_id_body(),
        body=TERMS_CHANGE,
    ),
    Route(
        "POST",
        C + "/<id>/amendments",
        "convention.write",
        "convention",
        "amend",
        "Amend a signed convention: a new version, as a draft",
        by_id_body(),
        body=TERMS_CHANGE,
        status=201,
    ),
    _transition("submit", "Draft → ready to sign"),
    Route(
        "POST",
        C + "/<id>/sign",
        "convention.sign",
        "convention",
        "sign",
        "Record one party's signature",
        by_id_body(),
        body=cs.SignatureSchema,
    ),
    _transition("activate", "Signed → active: the training runs under it"),
    _transition("complete", "Active → completed (the employer's commitment is evaluated)"),
    Route(
        "POST",
        C + "/<id>/cancel",
        "convention.write",
        "convention",
        "cancel",
        "Cancel a convention not yet signed by everyone",
        lambda p, q, b: [p["id"], b["reason"]],
        body=CancelSchema,
    ),
    Route(
        "POST",
        C + "/<id>/terminate",
        "convention.write",
        "convention",
        "terminate",
        "End a signed or active convention early",
        lambda p, q, b: [p["id"], b["reason"]],
        body=TerminateSchema,
    ),
    Route(
        "GET",
        C + "/<id>/commitment",
        "convention.read",
        "convention",
        "convention_commitment",
        "The employer's hiring commitment against hires",
        by_id(),
    ),
    Route(
        "GET",
        "/missions/<code>/employers/<id>/commitments",
        "convention.read",
        "convention",
        "employer_commitments",
        "Every hiring commitment of one employer, with totals",
        lambda p, q, b: [p["id"], *page_args(q)],
        paginated=True,
    ),
    Route(
        "GET",
        T + "/<id>",
        "convention.read",
        "convention",
        "get_trainee",
        "A trainee and every move",
        by_id(),
        personal=True,
    ),
    _trainee("drop-out", "drop_out", "A trainee leaves the training, with a reason", cs.DropOutSchema),
    _trainee("complete", "complete_trainee", "A trainee completes the training", cs.TraineeCompletionSchema),
    _trainee("hire", "record_hire", "The trainee is hired by the convention's employer", cs.HireSchema),
    _trainee("not-hired", "record_not_hired", "The trainee is not hired, with a reason", cs.NotHiredSchema),
    Route(
        "GET",
        P + "/due",
        "convention.read",
        "convention",
        "due",
        "Trainings ending and follow-up committees falling due, overdue first (one lead's projects, or the Mission's)",
        lambda p, q, b: [q.get("lead"), q["horizon_days"]],
        query={
            "lead": fields.String(validate=validate.Length(1, 100), metadata={"description": "who created them"}),
            "horizon_days": fields.Integer(
                load_default=convention_queries.DEFAULT_HORIZON_DAYS,
                validate=validate.Range(0, convention_queries.MAX_HORIZON_DAYS),
                metadata={"description": "how many days ahead count as due"},
            ),
        },
    ),
    # Subject access (GDPR art. 15): this service's part of a person's copy, for a director or the DPO.
    Route(
        "GET",
        "/missions/<code>/beneficiaries/<id>/trainings",
        "convention.read",
        "convention",
        "person_trainings",
        "A person's confirmation internships and trainings in the Mission's projects, for their file",
        by_id(),
        personal=True,
    ),
    Route(
        "GET",
        "/missions/<code>/beneficiaries/<id>/access/convention",
        "convention.subject_access",
        "convention",
        "subject_access",
        "Subject access: the person's internships and trainee records",
        by_id(),
        personal=True,
    ),
]
