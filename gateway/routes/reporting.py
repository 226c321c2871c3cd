"""Reporting routes: a Mission's indicators, publications, exports and period submissions; InterMire's sector
tables and exports (pseudonyms and counts only, small cells hidden).

The period is a query parameter or a path segment in the reporting service's own notation (``2026``,
``2026-Q1``, ``2026-03``); the service refuses an unknown period or indicator field by field.
"""

from marshmallow import RAISE, Schema, fields, validate

from gateway.route import Route

M = "/missions/<code>"
I = "/intermire"  # noqa: E741 - the InterMire prefix, beside M
PERIOD = r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$"
FORMATS = ("csv", "xlsx", "pdf")


def period_field(required: bool = True) -> fields.Field:
    return fields.String(required=required, validate=validate.Regexp(PERIOD, error="a year, quarter or month"))


def dimension_field() -> fields.Field:
    return fields.String(validate=validate.Length(1, 40))


class SubmitSchema(Schema):
    """A period submitted for approval; a correction of an approved period says why."""

    class Meta:
        unknown = RAISE

    period = period_field()
    reason = fields.String(validate=validate.Length(1, 500), allow_none=True)


class ApprovalSchema(Schema):
    """Which version of the period's submission is approved (the approver is the caller, never the body)."""

    class Meta:
        unknown = RAISE

    version = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10_000))


ROUTES = [
    # -- a Mission's own figures ------------------------------------------
    Route("GET", M + "/indicators", "reporting.read", "reporting", "catalogue", "The indicator catalogue"),
    Route(
        "GET",
        M + "/indicators/headline",
        "reporting.read",
        "reporting",
        "headline",
        "The headline indicators of a period",
        lambda p, q, b: [q["period"]],
        query={"period": period_field()},
    ),
    Route(
        "GET",
        M + "/indicators/facts",
        "reporting.read",
        "reporting",
        "indicators",
        "How many facts of each kind reporting has logged",
    ),
    Route(
        "GET",
        M + "/indicators/<name>",
        "reporting.read",
        "reporting",
        "indicator",
        "An indicator for a period, exact, optionally broken down by a dimension",
        lambda p, q, b: [p["name"], q["period"], q.get("by")],
        query={"period": period_field(), "by": dimension_field()},
    ),
    Route(
        "GET",
        M + "/indicators/<name>/publication",
        "reporting.read",
        "reporting",
        "publication",
        "An indicator as published by one breakdown (columns) or two (rows × columns): small cells hidden",
        lambda p, q, b: [p["name"], q["period"], q.get("columns"), q.get("rows")],
        query={"period": period_field(), "columns": dimension_field(), "rows": dimension_field()},
    ),
    Route(
        "GET",
        M + "/exports",
        "reporting.export",
        "reporting",
        "export",
        "The period's figures for funders (CSV, XLSX with the Youth Guarantee and ESF+ tables, or a PDF for a board)",
        lambda p, q, b: [q["period"], q["format"]],
        query={"period": period_field(), "format": fields.String(load_default="csv", validate=validate.OneOf(FORMATS))},
        returns="file",
    ),
    # -- period submissions -------------------------------------------------
    Route(
        "GET",
        M + "/submissions",
        "reporting.read",
        "reporting",
        "list_submissions",
        "The Mission's period submissions",
        returns="array",
    ),
    Route(
        "POST",
        M + "/submissions",
        "reporting.submit",
        "reporting",
        "submit_period",
        "Submit a period (a correction of an approved one is a new version with its difference)",
        lambda p, q, b: [b["period"], b.get("reason")],
        body=SubmitSchema,
        status=201,
    ),
    Route(
        "GET",
        M + "/submissions/<period>",
        "reporting.read",
        "reporting",
        "get_submission",
        "A period's submission: the version asked, else the approved one, else the latest",
        lambda p, q, b: [p["period"], q.get("version")],
        query={"version": fields.Integer(validate=validate.Range(1, 10_000))},
    ),
    Route(
        "POST",
        M + "/submissions/<period>/approval",
        "reporting.approve",
        "reporting",
        "approve_submission",
        "Approve a version of a period's submission: it becomes a frozen snapshot",
        lambda p, q, b: [p["period"], b["version"]],
        body=ApprovalSchema,
    ),
    # -- InterMire: the sector ----------------------------------------------
    Route(
        "GET",
        I + "/indicators",
        "reporting.sector",
        "reporting",
        "sector_catalogue",
        "The sector indicator catalogue",
    ),
    Route(
        "GET",
        I + "/indicators/facts",
        "reporting.sector",
        "reporting",
        "sector_indicators",
        "Entries per Mission and distinct people (pseudonyms and counts only)",
    ),
    Route(
        "GET",
        I + "/indicators/<name>",
        "reporting.sector",
        "reporting",
        "sector_table",
        "A sector table for a period: Missions (or a second dimension, rows) × a dimension, small cells hidden, "
        "a person counted once",
        lambda p, q, b: [p["name"], q["period"], q["columns"], q.get("rows")],
        query={
            "period": period_field(),
            "columns": fields.String(load_default="target_group", validate=validate.Length(1, 40)),
            "rows": dimension_field(),
        },
    ),
    Route(
        "GET",
        I + "/submissions",
        "reporting.sector",
        "reporting",
        "sector_submissions",
        "Which Missions have submitted their figures for a period: status, versions, the figures each changed",
        lambda p, q, b: [q["period"]],
        query={"period": period_field()},
    ),
    Route(
        "GET",
        I + "/exports",
        "reporting.sector_export",
        "reporting",
        "sector_export",
        "The sector's figures for a period (CSV, XLSX or a PDF for a board)",
        lambda p, q, b: [q["period"], q["format"]],
        query={"period": period_field(), "format": fields.String(load_default="csv", validate=validate.OneOf(FORMATS))},
        returns="file",
    ),
]
