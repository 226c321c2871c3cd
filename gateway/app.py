"""The gateway's WSGI application: the only door to the Missions and InterMire.

For every request, in order: request id; body size (413); route; bearer
token (401); rate per identity (429); Mission scope — a token for one
Mission gets 404 on anything of another, exactly as for a missing object;
the policy table (403); query bounds and body shape (400/422); then one RPC
to the right site with the caller's identity, and the service's answer or
error mapped to JSON or RFC 9457 problem+json. ``GET /health``,
``/openapi.json`` and ``/docs`` need no token.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid

import eventlet
import eventlet.wsgi
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from gateway import openapi
from gateway.auth import AuthConfig, Authenticator, Unauthenticated
from gateway.routes import MAX_PAGE_SIZE, ROUTES, Route
from gateway.sites import Sites
from kit.errors import Conflict, Forbidden, ValidationFailed
from kit.errors import NotFound as NotFoundError
from kit.policy import allowed_roles
from kit.registry import INTERMIRE, Registry

log = logging.getLogger(__name__)
audit = logging.getLogger("gateway.audit")


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None, **extra):
        super().__init__(title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem_response(p: Problem, instance: str, request_id: str) -> Response:
    body = {"type": f"urn:passerelle:problem:{p.title.lower().replace(' ', '-')}", "title": p.title,
            "status": p.status, "instance": instance, "request_id": request_id}
    if p.detail:
        body["detail"] = p.detail
    body.update(p.extra)
    headers = {"X-Request-Id": request_id}
    if p.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="passerelle"'
    if p.status == 429:
        headers["Retry-After"] = "1"
    return Response(json.dumps(body, ensure_ascii=False), status=p.status,
                    content_type="application/problem+json", headers=headers)


class RateLimiter:
    """A token bucket per identity."""

    def __init__(self, per_second: float, burst: int):
        self.per_second, self.burst = per_second, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, who: str) -> bool:
        now = time.monotonic()
        tokens, at = self.buckets.get(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.per_second)
        if tokens < 1:
            self.buckets[who] = (tokens, now)
            return False
        self.buckets[who] = (tokens - 1, now)
        return True


class Gateway:
    def __init__(self, registry: Registry, auth: AuthConfig | None = None, environ=None):
        env = os.environ if environ is None else environ
        self.registry = registry
        self.sites = Sites(registry)
        self.auth = Authenticator(auth or AuthConfig.from_env(env))
        self.max_body = int(env.get("PASSERELLE_MAX_BODY", 1024 * 1024))
        self.limiter = RateLimiter(float(env.get("PASSERELLE_RATE_PER_SECOND", 50)),
                                   int(env.get("PASSERELLE_RATE_BURST", 100)))
        self.missions = {site.code for site in registry.missions}
        self.document = openapi.build()
        rules = [Rule("/health", endpoint="health", methods=["GET"]),
                 Rule("/openapi.json", endpoint="openapi", methods=["GET"]),
                 Rule("/docs", endpoint="docs", methods=["GET"])]
        rules += [Rule(r.path, endpoint=r, methods=[r.method]) for r in ROUTES]
        self.urls = Map(rules)

    # -- plumbing --------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
        try:
            if (request.content_length or 0) > self.max_body:
                raise Problem(413, "Payload Too Large", f"bodies are limited to {self.max_body} bytes")
            endpoint, params = self.urls.bind_to_environ(environ).match()
            if isinstance(endpoint, Route):
                response = self.operation(endpoint, params, request, request_id)
            else:
                response = getattr(self, endpoint)(request)
        except Problem as p:
            response = problem_response(p, request.path, request_id)
        except MethodNotAllowed:
            response = problem_response(Problem(405, "Method Not Allowed"), request.path, request_id)
        except NotFound:
            response = problem_response(Problem(404, "Not Found", "no such resource"), request.path, request_id)
        except HTTPException as exc:
            response = problem_response(Problem(exc.code or 400, exc.name), request.path, request_id)
        except Exception:
            log.exception("unhandled error on %s %s (request %s)", request.method, request.path, request_id)
            response = problem_response(Problem(500, "Internal Server Error"), request.path, request_id)
        response.headers["X-Request-Id"] = request_id
        return response(environ, start_response)

    def health(self, request: Request) -> Response:
        body = self.sites.health()
        return Response(json.dumps(body), status=200 if body["ready"] else 503, content_type="application/json")

    def openapi(self, request: Request) -> Response:
        return Response(json.dumps(self.document), content_type="application/json")

    def docs(self, request: Request) -> Response:
        return Response(openapi.docs_page(self.document), content_type="text/html; charset=utf-8")

    # -- one operation ---------------------------------------------------
    def operation(self, route: Route, params: dict, request: Request, request_id: str) -> Response:
        try:
            actor = self.auth.actor(request.headers.get("Authorization"))
        except Unauthenticated as exc:
            raise Problem(401, "Unauthorized", str(exc)) from None
        if not self.limiter.allow(actor.sub):
            raise Problem(429, "Too Many Requests", "slow down")
        site = self._site(route, params, actor)
        if not set(actor.roles) & allowed_roles(route.action):
            raise Problem(403, "Forbidden", f"your role may not: {route.action}")
        query = self._query(route, request)
        body = self._body(route, request)
        args = route.args(params, query, body)
        context = dict(actor.context(), call_id_stack=[f"gateway.{request_id}"])
        if route.personal:
            audit.info(json.dumps({"who": actor.sub, "roles": list(actor.roles), "action": route.action,
                                   "purpose": query.get("purpose", "accompaniment"), "subject": params.get("id"),
                                   "mission": site, "request_id": request_id}))
        try:
            result = self.sites.call(site, route.service, route.rpc, *args, context=context)
        except ValidationFailed as exc:
            raise Problem(422, "Unprocessable Content", "invalid input", errors=exc.errors) from None
        except NotFoundError as exc:
            raise Problem(404, "Not Found", f"no such {exc.what}") from None
        except Conflict as exc:
            raise Problem(409, "Conflict", exc.message, existing=exc.existing) from None
        except Forbidden as exc:
            raise Problem(403, "Forbidden", exc.message) from None
        except RpcTimeout:
            raise Problem(504, "Gateway Timeout", f"{route.service} did not answer in time") from None
        except UnknownService:
            raise Problem(503, "Service Unavailable", f"{route.service} is not running") from None
        except RemoteError as exc:
            log.error("%s.%s failed: %s (request %s)", route.service, route.rpc, exc.exc_type, request_id)
            raise Problem(502, "Bad Gateway", f"{route.service} failed") from None
        return Response(json.dumps(result, ensure_ascii=False), status=route.status,
                        content_type="application/json")

    def _site(self, route: Route, params: dict, actor) -> str:
        if route.scope == INTERMIRE:
            if actor.mission != INTERMIRE:
                raise Problem(404, "Not Found", "no such resource")
            return INTERMIRE
        code = params.pop("code")
        # Another Mission's objects do not exist for this token: the same answer as a missing one.
        if code not in self.missions or code != actor.mission:
            raise Problem(404, "Not Found", "no such resource")
        return code

    @staticmethod
    def _query(route: Route, request: Request) -> dict:
        query = request.args.to_dict()
        if route.paginated:
            for key, low, high in (("page", 1, 10**6), ("page_size", 1, MAX_PAGE_SIZE)):
                if key in query:
                    try:
                        value = int(query[key])
                    except ValueError:
                        value = None
                    if value is None or not low <= value <= high:
                        raise Problem(422, "Unprocessable Content", "invalid query",
                                      errors={key: [f"a whole number from {low} to {high}"]})
        if "limit" in query and not query["limit"].isdigit():
            raise Problem(422, "Unprocessable Content", "invalid query", errors={"limit": ["a whole number"]})
        return query

    @staticmethod
    def _body(route: Route, request: Request):
        if route.body is None:
            return None
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise Problem(400, "Bad Request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Problem(422, "Unprocessable Content", "a JSON object is expected",
                          errors={"_schema": ["a JSON object is expected"]})
        try:
            route.body().load(body)  # the same schema the service applies; the raw JSON goes on
        except ValidationError as exc:
            raise Problem(422, "Unprocessable Content", "invalid input", errors=exc.messages) from None
        return body


def serve(registry: Registry) -> None:
    gw = registry.platform["gateway"]
    sock = eventlet.listen((gw["host"], gw["port"]))
    log.info("gateway listening on http://%s:%d", gw["host"], gw["port"])
    eventlet.wsgi.server(sock, Gateway(registry), log_output=False, log=logging.getLogger("gateway.http"))
