"""The route table: every HTTP operation of the gateway, one module per service.

Each module lists its ``Route`` declarations (``gateway.route``); this table
is what the gateway dispatches, documents (OpenAPI) and what the
authorisation-matrix test walks. RPC methods deliberately not served over
HTTP are listed in ``NOT_ROUTED`` with the reason, so a test can check that
every other ``@rpc`` of every service has a route.
"""

from gateway.route import MAX_PAGE_SIZE, Route
from gateway.routes import beneficiary, convention, employer, matching, reporting

ROUTES: list[Route] = [
    *beneficiary.ROUTES,
    *employer.ROUTES,
    *convention.ROUTES,
    *matching.ROUTES,
    *reporting.ROUTES,
]

NOT_ROUTED = {
    ("beneficiary", "count"): "every list answers its total; a bare count is for the CLI's status",
    ("employer", "count"): "every list answers its total; a bare count is for the CLI's status",
    ("beneficiary", "health"): "GET /health asks every service of every site",
    ("employer", "health"): "GET /health asks every service of every site",
    ("convention", "health"): "GET /health asks every service of every site",
    ("matching", "health"): "GET /health asks every service of every site",
    ("reporting", "health"): "GET /health asks every service of every site",
    # Replaying agency events is an operator's act on the agencies' side, designed and routed under its own issue.
    ("beneficiary", "replay_agency_events"): "agency replay: an operator's act, routed under its own issue",
    ("convention", "replay_agency_events"): "agency replay: an operator's act, routed under its own issue",
}

__all__ = ["MAX_PAGE_SIZE", "NOT_ROUTED", "ROUTES", "Route"]
