"""Matching routes: ranked candidates for a vacancy, ranked vacancies for a person, proposals, occupations."""

from marshmallow import fields, validate
from matching import schemas as ms
from matching.domain import MAX_LIMIT

from gateway.route import Route, by_id

M = "/missions/<code>/matching"


def _limit(default: int) -> dict:
    return {"limit": fields.Integer(load_default=default, validate=validate.Range(1, MAX_LIMIT))}


ROUTES = [
    Route(
        "GET",
        M + "/vacancies/<id>/candidates",
        "matching.read",
        "matching",
        "rank_candidates",
        "The best people for an open vacancy, each with its explanation",
        lambda p, q, b: [p["id"], q["limit"]],
        query=_limit(20),
        personal=True,
        returns="array",
    ),
    Route(
        "GET",
        M + "/beneficiaries/<id>/vacancies",
        "matching.read",
        "matching",
        "rank_vacancies",
        "The best open vacancies for a person, each with its explanation",
        lambda p, q, b: [p["id"], q["limit"]],
        query=_limit(20),
        personal=True,
        returns="array",
    ),
    Route(
        "GET",
        M + "/beneficiaries/<id>/gaps",
        "matching.read",
        "matching",
        "explain_gaps",
        "What a person lacks for a vacancy, a proposal's vacancy or an occupation (one of the three)",
        lambda p, q, b: [p["id"], q.get("vacancy_id"), q.get("proposal_id"), q.get("occupation")],
        query={
            "vacancy_id": fields.String(validate=validate.Length(1, 64)),
            "proposal_id": fields.String(validate=validate.Length(1, 36)),
            "occupation": fields.String(validate=validate.Regexp(r"^[A-N][0-9]{4}$")),
        },
        personal=True,
    ),
    Route(
        "GET",
        M + "/proposals",
        "matching.read",
        "matching",
        "list_proposals",
        "Proposals of a vacancy or of a person, newest first",
        lambda p, q, b: [q.get("vacancy_id"), q.get("beneficiary_id"), q["limit"]],
        personal=True,
        query={
            "vacancy_id": fields.String(validate=validate.Length(1, 64)),
            "beneficiary_id": fields.String(validate=validate.Length(1, 64)),
            **_limit(50),
        },
        returns="array",
    ),
    Route(
        "POST",
        M + "/proposals",
        "matching.propose",
        "matching",
        "propose",
        "Propose a person for a vacancy",
        lambda p, q, b: [b["vacancy_id"], b["beneficiary_id"]],
        body=ms.ProposeArgs,
        status=201,
    ),
    Route(
        "GET",
        M + "/proposals/<id>",
        "matching.read",
        "matching",
        "get_proposal",
        "A proposal and every step",
        by_id(),
        personal=True,
    ),
    Route(
        "POST",
        M + "/proposals/<id>/transitions",
        "matching.propose",
        "matching",
        "move_proposal",
        "One step of a proposal: presented, interview, hired, rejected (with a reason) or withdrawn",
        lambda p, q, b: [p["id"], b["to"], b.get("reason")],
        body=ms.MoveArgs(exclude=("proposal_id",)),
    ),
    Route(
        "GET",
        M + "/occupation-suggestions",
        "matching.read",
        "matching",
        "suggest_occupations",
        "ROME occupations for a free-text job title, best first",
        lambda p, q, b: [q["title"], q["limit"]],
        query={"title": fields.String(required=True, validate=validate.Length(2, 200)), **_limit(5)},
        returns="array",
    ),
    Route(
        "GET",
        M + "/occupations/<id>",
        "matching.read",
        "matching",
        "occupation",
        "An occupation of the taxonomy with its competences",
        by_id(),
    ),
    # Subject access (GDPR art. 15): this service's part of a person's copy, for a director or the DPO.
    Route(
        "GET",
        "/missions/<code>/beneficiaries/<id>/access/matching",
        "matching.subject_access",
        "matching",
        "subject_access",
        "Subject access: the person's candidate record and proposals",
        by_id(),
        personal=True,
    ),
]
