"""Employer routes: employers, contacts, prospection, vacancies and their life, Le Forem's offers."""

from employer import enums, queries
from employer import schemas as es
from employer.domain import MAX_IMPORT_BATCH
from marshmallow import RAISE, Schema, fields, validate

from gateway.route import Route, body_only, by_id, by_id_body, page_args

E = "/missions/<code>/employers"
V = "/missions/<code>/vacancies"
VACANCY_STATUSES = (enums.DRAFT, enums.OPEN, enums.PARTIALLY_FILLED, enums.FILLED, enums.CLOSED, enums.CANCELLED)


class OfferImportSchema(Schema):
    """A batch of offers as ``employer.forem`` maps them; each row is checked by the service, which reports the
    rows it refuses by their ``line`` without refusing the batch."""

    class Meta:
        unknown = RAISE

    offers = fields.List(fields.Dict(), required=True, validate=validate.Length(1, MAX_IMPORT_BATCH))


ROUTES = [
    Route(
        "GET",
        E,
        "employer.read",
        "employer",
        "list_employers",
        "List the Mission's employers",
        lambda p, q, b: page_args(q),
        paginated=True,
    ),
    Route(
        "POST",
        E,
        "employer.register",
        "employer",
        "register",
        "Register an employer",
        body_only,
        body=es.EmployerIntakeSchema,
        status=201,
    ),
    Route("GET", E + "/<id>", "employer.read", "employer", "get", "An employer and its contacts", by_id()),
    Route(
        "POST",
        E + "/<id>/contacts",
        "employer.register",
        "employer",
        "add_contact",
        "Add a contact",
        by_id_body(),
        body=es.ContactSchema,
        status=201,
    ),
    Route(
        "DELETE",
        E + "/<id>/contacts/<contact_id>",
        "employer.contact.erase",
        "employer",
        "erase_contact",
        "Erase a contact",
        lambda p, q, b: [p["id"], p["contact_id"]],
    ),
    Route(
        "GET",
        E + "/<id>/visits",
        "employer.read",
        "employer",
        "prospection_history",
        "Prospection history",
        by_id(),
        returns="array",
    ),
    Route(
        "POST",
        E + "/<id>/visits",
        "employer.register",
        "employer",
        "log_prospection",
        "Log a visit, call or e-mail",
        by_id_body(),
        body=es.ProspectionSchema,
        status=201,
    ),
    # The employer is the one in the path: a body naming another is refused (no mass assignment of the owner).
    Route(
        "POST",
        E + "/<id>/vacancies",
        "employer.vacancy.write",
        "employer",
        "create_vacancy",
        "Draft a vacancy",
        lambda p, q, b: [{**b, "employer_id": p["id"]}],
        body=es.VacancySchema(exclude=("employer_id",)),
        status=201,
    ),
    Route(
        "GET",
        V,
        "employer.read",
        "employer",
        "list_vacancies",
        "List vacancies (by status)",
        lambda p, q, b: [q.get("status"), *page_args(q)],
        paginated=True,
        query={"status": fields.String(validate=validate.OneOf(VACANCY_STATUSES))},
    ),
    Route(
        "POST",
        V + "/imports",
        "employer.import",
        "employer",
        "import_offers",
        "Import a batch of Le Forem's public offers (idempotent on the offer number)",
        lambda p, q, b: [b["offers"]],
        body=OfferImportSchema,
    ),
    Route("GET", V + "/<id>", "employer.read", "employer", "get_vacancy", "A vacancy and its history", by_id()),
    Route(
        "PATCH",
        V + "/<id>",
        "employer.vacancy.write",
        "employer",
        "update_vacancy",
        "Correct a vacancy (send the version you read; 409 when it was corrected since)",
        by_id_body(),
        body=es.VacancyUpdateSchema,
    ),
    Route("POST", V + "/<id>/open", "employer.vacancy.write", "employer", "open_vacancy", "Open a vacancy", by_id()),
    Route("POST", V + "/<id>/close", "employer.vacancy.write", "employer", "close_vacancy", "Close a vacancy", by_id()),
    Route(
        "POST",
        V + "/<id>/cancel",
        "employer.vacancy.write",
        "employer",
        "cancel_vacancy",
        "Cancel a vacancy with its reason",
        lambda p, q, b: [p["id"], b["reason"]],
        body=es.CancelSchema,
    ),
    Route(
        "POST",
        V + "/<id>/fill",
        "employer.vacancy.fill",
        "employer",
        "fill_vacancy",
        "One post filled by a beneficiary",
        lambda p, q, b: [p["id"], b["beneficiary_id"]],
        body=es.FillSchema,
    ),
    Route(
        "GET",
        "/missions/<code>/occupation-suggestions",
        "employer.read",
        "employer",
        "suggest_occupations",
        "Occupation codes for a free-text job title (through the employer service)",
        lambda p, q, b: [q["title"], q["limit"]],
        query={
            "title": fields.String(required=True, validate=validate.Length(2, 200)),
            "limit": fields.Integer(load_default=5, validate=validate.Range(1, 50)),
        },
        returns="array",
    ),
    # Search and what is due (employer.queries). Static paths: werkzeug prefers them to <id>.
    Route(
        "GET",
        E + "/search",
        "employer.read",
        "employer",
        "search",
        "Find employers by name (accents and case ignored), BCE number, sector (NACE-BEL), municipality or "
        "account manager",
        lambda p, q, b: [queries.criteria(q), *page_args(q)],
        query=queries.search_fields(),
        paginated=True,
    ),
    Route(
        "GET",
        E + "/due",
        "employer.read",
        "employer",
        "due",
        "Prospection next actions falling due, overdue first (one agent's, or the Mission's)",
        lambda p, q, b: [q.get("agent"), q["horizon_days"]],
        query={
            "agent": fields.String(validate=validate.Length(1, 100), metadata={"description": "who logged them"}),
            "horizon_days": fields.Integer(
                load_default=queries.DEFAULT_HORIZON_DAYS,
                validate=validate.Range(0, queries.MAX_HORIZON_DAYS),
                metadata={"description": "how many days ahead count as due"},
            ),
        },
    ),
    # Corrections with history (kit.corrections): the body names the version read; 409 when it moved since.
    Route(
        "PATCH",
        E + "/<id>",
        "employer.update",
        "employer",
        "update",
        "Correct an employer's name, sector, address or legal details (send the version you read)",
        by_id_body(),
        body=es.EmployerCorrectionSchema,
    ),
    Route(
        "POST",
        E + "/<id>/account-manager",
        "employer.reassign",
        "employer",
        "reassign",
        "Hand the employer to another account manager (send the version you read)",
        by_id_body(),
        body=es.ReassignSchema,
    ),
    Route(
        "PATCH",
        E + "/<id>/contacts/<contact_id>",
        "employer.update",
        "employer",
        "update_contact",
        "Correct a contact's name, function, phone or e-mail (send the version you read)",
        lambda p, q, b: [p["id"], p["contact_id"], b],
        body=es.ContactCorrectionSchema,
    ),
    Route(
        "GET",
        E + "/<id>/corrections",
        "employer.read",
        "employer",
        "list_corrections",
        "The corrections of an employer, its contacts and its vacancies: who, when, each field before and after",
        by_id(),
    ),
]
