"""Partner directory routes (the employer service's ``employer.directory``): a Mission's partner organisations
and their services, kept by employer-relations agents and the direction, read by all the Mission's staff;
and InterMire's read-only sector directory of the organisations the Missions share."""

from employer import partner_schemas as ps
from marshmallow import fields, validate

from gateway.route import Route, by_id, by_id_body

P = "/missions/<code>/partners"

ROUTES = [
    Route(
        "GET",
        P,
        "employer.partner.read",
        "employer",
        "search_partners",
        "Find partner organisations by need, municipality served, target group, type or part of the name",
        lambda p, q, b: [ps.criteria(q), q["page"], q["page_size"]],
        query=ps.search_fields(),
        paginated=True,
    ),
    Route(
        "POST",
        P,
        "employer.partner.write",
        "employer",
        "create_partner",
        "Add a partner organisation to the Mission's directory",
        lambda p, q, b: [b],
        body=ps.PartnerSchema,
        status=201,
    ),
    Route(
        "GET",
        P + "/<id>",
        "employer.partner.read",
        "employer",
        "get_partner",
        "A partner organisation, its services (withdrawn ones too) and its corrections",
        by_id(),
    ),
    Route(
        "PATCH",
        P + "/<id>",
        "employer.partner.write",
        "employer",
        "correct_partner",
        "Correct a partner organisation (send the version you read; 409 when it was corrected since)",
        by_id_body(),
        body=ps.PartnerCorrectionSchema,
    ),
    Route(
        "POST",
        P + "/<id>/services",
        "employer.partner.write",
        "employer",
        "add_partner_service",
        "Add a service the organisation offers",
        by_id_body(),
        body=ps.PartnerServiceSchema,
        status=201,
    ),
    Route(
        "POST",
        P + "/<id>/services/<service_id>/withdraw",
        "employer.partner.write",
        "employer",
        "withdraw_partner_service",
        "The organisation no longer offers this service (kept readable)",
        lambda p, q, b: [p["id"], p["service_id"]],
    ),
    Route(
        "POST",
        P + "/<id>/publish",
        "employer.partner.write",
        "employer",
        "publish_partner",
        "Share the organisation and its services with InterMire's sector directory",
        by_id(),
    ),
    Route(
        "POST",
        P + "/<id>/unpublish",
        "employer.partner.write",
        "employer",
        "unpublish_partner",
        "Stop sharing the organisation with InterMire",
        by_id(),
    ),
    Route(
        "GET",
        "/intermire/partners",
        "reporting.sector",
        "reporting",
        "sector_partners",
        "The partner organisations every Mission shares, with their services and the Mission",
        lambda p, q, b: [{k: q[k] for k in ("mission", "need", "municipality") if q.get(k)}, q["page"], q["page_size"]],
        query={
            "mission": fields.String(validate=validate.Regexp(r"^[a-z]{2,20}$")),
            "need": fields.String(validate=validate.OneOf(ps.partners.NEEDS)),
            "municipality": fields.String(validate=validate.Regexp(r"^\d{5}$", error="REFNIS code expected")),
        },
        paginated=True,
    ),
]
