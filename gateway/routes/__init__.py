"""The route table: every HTTP operation of the gateway, one module per service.

Each module lists its ``Route`` declarations (``gateway.route``); this table
is what the gateway dispatches, documents (OpenAPI) and what the
authorisation-matrix test walks. RPC methods deliberately not served over
HTTP are listed in ``NOT_ROUTED`` with the reason, so a test can check that
every other ``@rpc`` of every service has a route.
"""

from gateway.route import MAX_PAGE_SIZE, Route
from gateway.routes import beneficiary, convention, employer, matching, meetings, partners, referrals, reporting

ROUTES: list[Route] = [
    *beneficiary.ROUTES,
    *referrals.ROUTES,
    *employer.ROUTES,
    *partners.ROUTES,
    *convention.ROUTES,
    *meetings.ROUTES,
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
    # Existence checks between services (kit.references), asked inside another service's write.
    ("beneficiary", "known_beneficiaries"): "asked by the services that record a reference to a person",
    ("employer", "known_employers"): "asked by the services that record a reference to an employer",
    ("employer", "known_vacancies"): "asked by the services that record a reference to a vacancy",
    ("employer", "known_partners"): "asked by the services that record a reference to a partner organisation",
    ("employer", "known_partner_services"): "asked by the services that record a reference to a partner's service",
    # An agency asks the platform's operators, who replay across every Mission at once (one call per Mission
    # and producing service); over HTTP it would be eleven Missions' directors each asking for the same thing.
    ("beneficiary", "replay_agency_events"): "replayed for an agency by `passerelle agency-replay`",
    ("convention", "replay_agency_events"): "replayed for an agency by `passerelle agency-replay`",
    # An operator's act across every Mission after a new sector key is deployed, not a Mission's own request.
    ("beneficiary", "rekey_pseudonyms"): "run by `passerelle rotate-sector-key`",
    # The retention schedule is the platform's scheduled job for every site (kit.retention), never a page's.
    **{
        (service, "apply_retention"): "run by `passerelle retention` (a CronJob in production)"
        for service in ("beneficiary", "employer", "convention", "matching", "reporting")
    },
}

__all__ = ["MAX_PAGE_SIZE", "NOT_ROUTED", "ROUTES", "Route"]
