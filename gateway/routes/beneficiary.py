"""Beneficiary routes: a person's file, assessments, plan, pathway, notes, outcomes and agency disclosures."""

from datetime import date

from beneficiary import orientation_schemas as orient
from beneficiary import queries
from beneficiary import schemas as bs
from beneficiary.enums import RECEIVED, SENT, STAGES, TRANSFER_STATUSES
from marshmallow import fields, validate

from gateway.route import Route, body_only, by_id, by_id_body, by_id_purpose, page_args

B = "/missions/<code>/beneficiaries"
T = "/missions/<code>/transfers"


def _counsellor() -> fields.Field:
    return fields.String(validate=validate.Length(1, 100), metadata={"description": "a counsellor's user name"})


def _horizon() -> fields.Field:
    return fields.Integer(
        load_default=queries.DEFAULT_HORIZON_DAYS,
        validate=validate.Range(0, queries.MAX_HORIZON_DAYS),
        metadata={"description": "how many days ahead count as due"},
    )


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _notes(kind: str):
    return lambda p, q, b: [p["id"], kind, q["purpose"]]


def _note_body(kind: str):
    return lambda p, q, b: [p["id"], {**b, "kind": kind}]


ROUTES = [
    Route(
        "GET",
        B,
        "beneficiary.read",
        "beneficiary",
        "list_beneficiaries",
        "List the Mission's beneficiaries",
        lambda p, q, b: [*page_args(q), q["purpose"]],
        personal=True,
        paginated=True,
    ),
    Route(
        "POST",
        B,
        "beneficiary.register",
        "beneficiary",
        "register",
        "Intake: open a person's file",
        body_only,
        body=bs.IntakeSchema,
        status=201,
    ),
    Route(
        "GET", B + "/<id>", "beneficiary.read", "beneficiary", "get", "A person's file", by_id_purpose(), personal=True
    ),
    Route("DELETE", B + "/<id>", "beneficiary.erase", "beneficiary", "erase", "Erase a person", by_id()),
    Route(
        "POST",
        B + "/<id>/identity",
        "beneficiary.complete_identity",
        "beneficiary",
        "complete_identity",
        "Complete a provisional identity with its national register or BIS number (409 naming the file that "
        "holds it already)",
        by_id_body(),
        body=bs.IdentitySchema,
    ),
    Route(
        "POST",
        B + "/<id>/merge",
        "beneficiary.merge",
        "beneficiary",
        "merge_identity",
        "Fold a provisional file into the file that holds its number (traced; the provisional file is closed)",
        by_id_body(),
        body=bs.MergeSchema,
    ),
    Route(
        "POST",
        B + "/<id>/assessments",
        "beneficiary.assess",
        "beneficiary",
        "assess",
        "Record a competence assessment",
        by_id_body(),
        body=bs.AssessmentSchema,
        status=201,
    ),
    Route(
        "GET",
        B + "/<id>/plan",
        "beneficiary.read",
        "beneficiary",
        "list_plans",
        "Every version of the insertion plan",
        by_id_purpose(),
        personal=True,
        returns="array",
    ),
    Route(
        "POST",
        B + "/<id>/plan",
        "beneficiary.agree_plan",
        "beneficiary",
        "agree_plan",
        "Agree a new version of the insertion plan",
        by_id_body(),
        body=bs.PlanSchema,
        status=201,
    ),
    Route(
        "POST",
        B + "/<id>/plan/gaps",
        "beneficiary.agree_plan",
        "beneficiary",
        "plan_from_gaps",
        "Agree the next plan version with an action per missing competence chosen from matching's explanation",
        by_id_body(),
        body=bs.PlanGapsSchema,
        status=201,
    ),
    Route(
        "GET",
        B + "/<id>/pathway",
        "beneficiary.read",
        "beneficiary",
        "get_pathway",
        "The path and every move along it",
        by_id_purpose(),
        personal=True,
    ),
    Route(
        "POST",
        B + "/<id>/pathway/move",
        "beneficiary.move_stage",
        "beneficiary",
        "move_stage",
        "Move to a stage (skip, return or re-enter)",
        by_id_body(),
        body=bs.StageMoveSchema,
    ),
    Route(
        "POST",
        B + "/<id>/pathway/drop-out",
        "beneficiary.move_stage",
        "beneficiary",
        "drop_out",
        "Record a drop-out with its reason",
        by_id_body(),
        body=bs.DropOutSchema,
    ),
    Route(
        "POST",
        B + "/<id>/exit",
        "beneficiary.record_outcome",
        "beneficiary",
        "exit_path",
        "Close the path with its reason",
        by_id_body(),
        body=bs.ExitSchema,
    ),
    Route(
        "POST",
        B + "/<id>/episodes",
        "beneficiary.reopen",
        "beneficiary",
        "reopen",
        "Re-open a closed file (exited or dropped out) for a person who comes back: a new episode, from the "
        "intake stage (409 if the file is still open)",
        by_id_body(),
        body=bs.ReopenSchema,
        status=201,
    ),
    Route(
        "GET",
        B + "/<id>/notes/social",
        "beneficiary.notes.social",
        "beneficiary",
        "list_notes",
        "Social accompaniment notes",
        _notes("social"),
        personal=True,
        returns="array",
    ),
    Route(
        "GET",
        B + "/<id>/notes/pedagogical",
        "beneficiary.notes.pedagogical",
        "beneficiary",
        "list_notes",
        "Pedagogical accompaniment notes",
        _notes("pedagogical"),
        personal=True,
        returns="array",
    ),
    Route(
        "POST",
        B + "/<id>/notes/social",
        "beneficiary.notes.social",
        "beneficiary",
        "add_note",
        "Write a social accompaniment note",
        _note_body("social"),
        body=bs.NoteTextSchema,
        status=201,
    ),
    Route(
        "POST",
        B + "/<id>/notes/pedagogical",
        "beneficiary.notes.pedagogical",
        "beneficiary",
        "add_note",
        "Write a pedagogical accompaniment note",
        _note_body("pedagogical"),
        body=bs.NoteTextSchema,
        status=201,
    ),
    Route(
        "POST",
        B + "/<id>/outcomes/contract",
        "beneficiary.record_outcome",
        "beneficiary",
        "record_contract",
        "Record the first contract signed",
        by_id_body(),
        body=bs.ContractSchema,
        status=201,
    ),
    Route(
        "POST",
        B + "/<id>/outcomes/six-month-check",
        "beneficiary.record_outcome",
        "beneficiary",
        "record_six_month_check",
        "Record the six-month employment check",
        by_id_body(),
        body=bs.FollowUpSchema,
    ),
    Route(
        "POST",
        B + "/<id>/consents",
        "beneficiary.record_consent",
        "beneficiary",
        "record_disclosure",
        "Record a legal basis or consent for an agency",
        by_id_body(),
        body=bs.DisclosureSchema,
        status=201,
    ),
    Route(
        "DELETE",
        B + "/<id>/consents/<agency>",
        "beneficiary.record_consent",
        "beneficiary",
        "withdraw_disclosure",
        "Withdraw a disclosure",
        lambda p, q, b: [p["id"], p["agency"]],
    ),
    # Search, caseload and what is due (beneficiary.queries). Static paths: werkzeug prefers them to <id>.
    Route(
        # POST: the national number travels in the body, never in a URL (access logs, proxies, history).
        "POST",
        B + "/search",
        "beneficiary.read",
        "beneficiary",
        "search",
        "Find people by name (accents and case ignored), national or BIS number, counsellor, stage, status, "
        "target group, municipality or registration dates",
        lambda p, q, b: [b, *page_args(q), q["purpose"]],
        body=queries.SearchSchema,
        personal=True,
        paginated=True,
    ),
    Route(
        "GET",
        B + "/caseload",
        "beneficiary.read",
        "beneficiary",
        "caseload",
        "A counsellor's caseload (the caller's unless ?counsellor=): counts by stage, people with their next due item",
        lambda p, q, b: [q.get("counsellor"), *page_args(q), q["purpose"], q.get("stage")],
        query={"counsellor": _counsellor(), "stage": fields.String(validate=validate.OneOf(STAGES))},
        personal=True,
        paginated=True,
    ),
    Route(
        "GET",
        B + "/due",
        "beneficiary.read",
        "beneficiary",
        "due",
        "Six-month checks and plan reviews falling due, overdue first (one counsellor's, or the Mission's)",
        lambda p, q, b: [q.get("counsellor"), q["horizon_days"], q["purpose"]],
        query={"counsellor": _counsellor(), "horizon_days": _horizon()},
        personal=True,
    ),
    Route(
        "GET",
        B + "/<id>/assessments",
        "beneficiary.read",
        "beneficiary",
        "list_assessments",
        "Every competence assessment of a person, the latest first",
        by_id_purpose(),
        personal=True,
        returns="array",
    ),
    # The audit trail, for the Mission's data-protection officer: references only (file ids, user names).
    Route(
        "GET",
        "/missions/<code>/audit",
        "beneficiary.audit_review",
        "beneficiary",
        "list_audit",
        "Who read or changed whose file, the latest first, by person (?subject=), user (?user=) and period "
        "(?from=&to=, days included)",
        lambda p, q, b: [q.get("subject"), q.get("user"), _day(q.get("from")), _day(q.get("to")), *page_args(q)],
        query={
            "subject": fields.String(validate=validate.Length(1, 36), metadata={"description": "a person's file id"}),
            "user": fields.String(validate=validate.Length(1, 100), metadata={"description": "a user name"}),
            "from": fields.Date(metadata={"description": "first day of the period"}),
            "to": fields.Date(metadata={"description": "last day of the period"}),
        },
        paginated=True,
    ),
    Route(
        "GET",
        "/missions/<code>/audit/unusual",
        "beneficiary.audit_review",
        "beneficiary",
        "unusual_access",
        "Users who opened many files outside their caseload in the last 24 hours, the most first "
        "(?files=: from how many distinct files; the alert's threshold unless given)",
        lambda p, q, b: [q.get("files")],
        query={"files": fields.Integer(validate=validate.Range(1, 10_000), metadata={"description": "files"})},
        returns="array",
    ),
    # Corrections with history (kit.corrections): the body names the version read; 409 when it moved since.
    Route(
        "PATCH",
        B + "/<id>",
        "beneficiary.update",
        "beneficiary",
        "update",
        "Correct a person's identity, contact, municipality or target groups (send the version you read)",
        by_id_body(),
        body=bs.CorrectionSchema,
    ),
    Route(
        "GET",
        B + "/<id>/corrections",
        "beneficiary.read",
        "beneficiary",
        "list_corrections",
        "The corrections of a person's file: who, when, each field before and after",
        by_id_purpose(),
        personal=True,
        returns="array",
    ),
    # What Le Forem and Actiris told the Mission about the person (contracts.agency.inbound), as they sent it.
    Route(
        "GET",
        B + "/<id>/agency-facts",
        "beneficiary.read",
        "beneficiary",
        "list_agency_facts",
        "What the agencies told the Mission about a person: registration, training, employment, verifications",
        by_id_purpose(),
        personal=True,
        returns="array",
    ),
    # Subject access (GDPR art. 15): this service's part of a person's copy, for a director or the DPO.
    Route(
        "GET",
        "/missions/<code>/beneficiaries/<id>/access/beneficiary",
        "beneficiary.subject_access",
        "beneficiary",
        "subject_access",
        "Subject access: everything the beneficiary service holds about the person, notes and audit included",
        by_id(),
        personal=True,
    ),
    # Transfer of a file to another Mission, with the person's consent (beneficiary.transfers).
    Route(
        "POST",
        B + "/<id>/transfer",
        "beneficiary.transfer",
        "beneficiary",
        "request_transfer",
        "Ask another Mission to take the file over (the person's consent required; notes only with theirs too)",
        by_id_body(),
        body=bs.TransferRequestSchema,
        status=201,
    ),
    Route(
        "GET",
        T,
        "beneficiary.transfer",
        "beneficiary",
        "list_transfers",
        "Transfers received from other Missions (or sent: ?direction=sent), with what each moves",
        lambda p, q, b: [{"direction": q["direction"], "status": q.get("status")}, *page_args(q), q["purpose"]],
        query={
            "direction": fields.String(load_default=RECEIVED, validate=validate.OneOf((RECEIVED, SENT))),
            "status": fields.String(validate=validate.OneOf(TRANSFER_STATUSES)),
        },
        personal=True,
        paginated=True,
    ),
    Route(
        "POST",
        T + "/<id>/accept",
        "beneficiary.transfer",
        "beneficiary",
        "accept_transfer",
        "Accept a transfer received: the file is opened here with its identity, path and plan (and notes if consented)",
        by_id(),
    ),
    Route(
        "POST",
        T + "/<id>/decline",
        "beneficiary.transfer",
        "beneficiary",
        "decline_transfer",
        "Decline a transfer received, with a reason: the file stays with the Mission that asked",
        by_id_body(),
        body=bs.TransferDeclineSchema,
    ),
    # Orientations out: the person oriented to a partner's service, and its outcome (beneficiary.orientations).
    Route(
        "POST",
        B + "/<id>/orientations",
        "beneficiary.orient",
        "beneficiary",
        "orient",
        "Orient the person to a partner's service (still offered in the Mission's directory), with what they agree "
        "may be shared",
        by_id_body(),
        body=orient.OrientationSchema,
        status=201,
    ),
    Route(
        "GET",
        B + "/<id>/orientations",
        "beneficiary.read",
        "beneficiary",
        "list_orientations",
        "The person's orientations to partners, with their outcome",
        by_id_purpose(),
        personal=True,
        returns="array",
    ),
    Route(
        "POST",
        B + "/<id>/orientations/<orientation_id>/outcome",
        "beneficiary.orient",
        "beneficiary",
        "record_orientation_outcome",
        "Record an orientation's outcome: attended, done, not taken up (with a reason) or cancelled",
        lambda p, q, b: [p["id"], p["orientation_id"], b],
        body=orient.OutcomeSchema,
    ),
]
