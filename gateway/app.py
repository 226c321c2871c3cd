"""The gateway's WSGI application: the only door to the Missions and InterMire.

For every request, in order: request id (``X-Request-Id`` taken when it is
a plain token, else made; answered on every response, put in the RPC's
context data and at the root of nameko's call id stack, so the services'
log lines carry it); body size (413); route; bearer token (401); rate per
identity (429); Mission scope — a token for one Mission gets 404 on
anything of another, exactly as for a missing object; the policy table
(403); path references, query and body through marshmallow schemas
(400/404/422; a body that is not ``application/json`` is 415); an audit
line for a read of personal data; then one RPC to the right site with
the caller's identity and a time budget, whose deadline travels with the
call so that the service stops work past it (504 when it runs out; 503
with ``Retry-After`` when the service has too much heavy work already,
``kit.work``), and the
service's answer or error mapped to JSON or RFC 9457 problem+json.
``GET /health`` (answered from a state kept current in the background,
``gateway.health``), ``/openapi.json`` and ``/docs`` need no token. Every
answer, and the HTTP server's own refusals (414, 431), gets the headers of
``gateway.http``: security headers, ``no-store``, CORS only for the
origins configured.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import uuid

import eventlet
import eventlet.wsgi
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from gateway import audit, openapi, ratelimit
from gateway.auth import AuthConfig, Authenticator, ProviderUnavailable, Unauthenticated
from gateway.health import HealthWatch
from gateway.http import Hygiene, ProblemProtocol, is_json
from gateway.route import ID_PATTERN, Route
from gateway.routes import ROUTES
from gateway.rpc_clients import RpcClients
from kit import logs
from kit.corrections import StaleVersion
from kit.errors import Busy, Conflict, DeadlineExceeded, FileExists, Forbidden, ValidationFailed
from kit.errors import NotFound as NotFoundError
from kit.permissions import allowed_roles
from kit.pseudonym import sector_key
from kit.registry import INTERMIRE, Registry
from kit.topology import GATEWAY_USER

log = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
REFERENCE = re.compile(ID_PATTERN)


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None, retry_after: int = 1, **extra):
        super().__init__(title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.retry_after = retry_after


def problem_response(p: Problem, instance: str, request_id: str) -> Response:
    body = {
        "type": f"urn:passerelle:problem:{p.title.lower().replace(' ', '-')}",
        "title": p.title,
        "status": p.status,
        "instance": instance,
        "request_id": request_id,
    }
    if p.detail:
        body["detail"] = p.detail
    body.update(p.extra)
    headers = {"X-Request-Id": request_id}
    if p.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="passerelle"'
    if p.status in (429, 503):
        headers["Retry-After"] = str(p.retry_after)
    return Response(
        json.dumps(body, ensure_ascii=False), status=p.status, content_type="application/problem+json", headers=headers
    )


def check_settings(registry: Registry, environ=None) -> AuthConfig:
    """The gateway's secrets, before it listens: ``ConfigError`` naming the first one missing outside development.

    The token settings (``gateway.auth``), the sector key (the audit line's subject pseudonym) and the
    gateway's broker password.
    """
    config = AuthConfig.from_env(environ)
    sector_key()
    registry.password_for(registry.prefix + GATEWAY_USER)
    return config


class Gateway:
    def __init__(self, registry: Registry, auth: AuthConfig | None = None, environ=None):
        env = os.environ if environ is None else environ
        self.registry = registry
        config = check_settings(registry, env)
        # Proxies per site: concurrent requests to one site beyond this wait for a free one.
        self.rpc_clients = RpcClients(registry, pool_size=int(env.get("PASSERELLE_RPC_POOL_SIZE", 8)))
        self.watch = HealthWatch(self.rpc_clients.health)  # /health from a state refreshed in the background
        self.auth = Authenticator(auth or config)
        self.max_body = int(env.get("PASSERELLE_MAX_BODY", 1024 * 1024))
        self.limiter = ratelimit.from_env(env)  # in memory, or shared by every replica in Redis
        self.missions = {site.code for site in registry.missions}
        self.document = openapi.build(sorted(self.missions))
        self.docs_page = openapi.docs_page(self.document)
        self.hygiene = Hygiene(env, self.docs_page)
        rules = [
            Rule("/health", endpoint="health", methods=["GET"]),
            Rule("/openapi.json", endpoint="openapi", methods=["GET"]),
            Rule("/docs", endpoint="docs", methods=["GET"]),
        ]
        rules += [Rule(r.path, endpoint=r, methods=[r.method]) for r in ROUTES]
        self.urls = Map(rules)

    # -- plumbing --------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = self.max_body  # also bounds a chunked body, which has no length
        offered = request.headers.get("X-Request-Id", "")
        # Only a plain token is taken over: the id is written into every log line of the request.
        request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex
        logs.bind_request(request_id)
        origin = request.headers.get("Origin")
        endpoint = None
        try:
            if (request.content_length or 0) > self.max_body:
                raise Problem(413, "Payload Too Large", f"bodies are limited to {self.max_body} bytes")
            if request.method == "OPTIONS":
                response = self.preflight(request, origin)
            else:
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
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = problem_response(Problem(500, "Internal Server Error"), request.path, request_id)
        finally:
            logs.clear_call()
        response.headers["X-Request-Id"] = request_id
        self.hygiene.apply(response, request.path, origin, cacheable=endpoint in ("openapi", "docs"))
        return response(environ, start_response)

    def preflight(self, request: Request, origin: str | None) -> Response:
        """A CORS preflight: answered for a configured origin and a method the path has, refused otherwise."""
        if not self.hygiene.allows(origin):
            raise Problem(403, "Forbidden", "cross-origin requests are not allowed from this origin")
        adapter = self.urls.bind_to_environ(request.environ)
        methods = sorted(set(adapter.allowed_methods()) - {"OPTIONS"})
        if not methods:
            raise Problem(404, "Not Found", "no such resource")
        wanted = request.headers.get("Access-Control-Request-Method", "")
        if wanted not in methods:
            raise Problem(405, "Method Not Allowed", f"this resource allows {', '.join(methods)}")
        return Response(status=204, headers=self.hygiene.preflight_headers(origin, methods))

    def health(self, request: Request) -> Response:
        body = self.watch.current()
        return Response(json.dumps(body), status=200 if body["ready"] else 503, content_type="application/json")

    def openapi(self, request: Request) -> Response:
        return Response(json.dumps(self.document), content_type="application/json")

    def docs(self, request: Request) -> Response:
        return Response(self.docs_page, content_type="text/html; charset=utf-8")

    # -- one operation ---------------------------------------------------
    def operation(self, route: Route, params: dict, request: Request, request_id: str) -> Response:
        try:
            actor = self.auth.actor(request.headers.get("Authorization"))
        except Unauthenticated as exc:
            raise Problem(401, "Unauthorized", str(exc)) from None
        except ProviderUnavailable as exc:
            log.error("%s", exc)
            raise Problem(503, "Service Unavailable", str(exc)) from None
        wait = self.limiter.wait(actor.sub)
        if wait:
            raise Problem(429, "Too Many Requests", "slow down", retry_after=min(math.ceil(wait), 86400))
        site = self._site(route, params, actor)
        if not set(actor.roles) & allowed_roles(route.action):
            raise Problem(403, "Forbidden", f"your role may not: {route.action}")
        if not all(REFERENCE.match(value) for value in params.values()):
            raise Problem(404, "Not Found", "no such resource")  # no reference of this shape exists anywhere
        query = self._query(route, request)
        body = self._body(route, request)
        args = route.args(params, query, body)
        context = dict(actor.context(), request_id=request_id, call_id_stack=[logs.REQUEST_PREFIX + request_id])
        if route.personal:
            audit.personal_read(
                actor, route.action, query.get("purpose", "accompaniment"), site, params.get("id"), request_id
            )
        try:
            result = self.rpc_clients.call(site, route.service, route.rpc, *args, context=context)
        except ValidationFailed as exc:
            raise Problem(422, "Unprocessable Content", "invalid input", errors=exc.errors) from None
        except NotFoundError as exc:
            raise Problem(404, "Not Found", f"no such {exc.what}") from None
        except (StaleVersion, FileExists) as exc:  # who changed it and when; or whether it can be re-opened
            raise Problem(409, "Conflict", exc.message, existing=exc.existing, **exc.details) from None
        except Conflict as exc:
            named = {"errors": {exc.field: [exc.message]}} if exc.field else {}
            raise Problem(409, "Conflict", exc.message, existing=exc.existing, **named) from None
        except Forbidden as exc:
            raise Problem(403, "Forbidden", exc.message) from None
        except Busy as exc:
            raise Problem(
                503, "Service Unavailable", f"{route.service} is busy: {exc.message}", retry_after=exc.retry_after
            ) from None
        except (RpcTimeout, DeadlineExceeded):
            log.warning("%s.%s did not answer within its budget", route.service, route.rpc)
            raise Problem(504, "Gateway Timeout", f"{route.service} did not answer in time") from None
        except UnknownService:
            raise Problem(503, "Service Unavailable", f"{route.service} is not running") from None
        except RemoteError as exc:
            log.error("%s.%s failed: %s", route.service, route.rpc, exc.exc_type)
            raise Problem(502, "Bad Gateway", f"{route.service} failed") from None
        except (OSError, ConnectionError, AMQPError, KombuError) as exc:  # the broker gone or going
            log.error("broker unreachable for %s: %s", site, type(exc).__name__)
            raise Problem(503, "Service Unavailable", "the site cannot be reached") from None
        if route.returns == "file":
            return _file_response(result, route.status)
        return Response(json.dumps(result, ensure_ascii=False), status=route.status, content_type="application/json")

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
        raw = request.args.to_dict()
        _refuse_nul(raw, "query")
        try:
            return route.query_loader.load(raw)
        except ValidationError as exc:
            raise Problem(422, "Unprocessable Content", "invalid query", errors=exc.messages) from None

    @staticmethod
    def _body(route: Route, request: Request):
        schema = route.body_loader
        if schema is None:
            return None
        if request.content_length or request.headers.get("Transfer-Encoding"):
            if not is_json(request.content_type):
                # A form or text body is not JSON that happens to parse: refused whatever it holds.
                raise Problem(
                    415, "Unsupported Media Type", "the body must be application/json", accept=["application/json"]
                )
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            raise Problem(400, "Bad Request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Problem(
                422,
                "Unprocessable Content",
                "a JSON object is expected",
                errors={"_schema": ["a JSON object is expected"]},
            )
        _refuse_nul(body, "body")
        try:
            schema.load(body)  # the same schema the service applies; the JSON as sent goes on
        except ValidationError as exc:
            raise Problem(422, "Unprocessable Content", "invalid input", errors=exc.messages) from None
        return body


def _file_response(result: dict, status: int) -> Response:
    """A service's file (``{filename, content_type, encoding, content}``) as a download."""
    content = result["content"]
    data = base64.b64decode(content) if result.get("encoding") == "base64" else content.encode("utf-8")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", result["filename"])  # nothing a header could be split by
    return Response(
        data,
        status=status,
        content_type=result["content_type"],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _refuse_nul(value, where: str) -> None:
    """No text may hold U+0000: PostgreSQL cannot store it, and no field of the platform needs it."""

    def walk(item, path):
        if isinstance(item, str):
            if "\x00" in item:
                raise Problem(
                    422,
                    "Unprocessable Content",
                    f"invalid {where}",
                    errors={path or "_schema": ["contains a NUL character"]},
                )
        elif isinstance(item, dict):
            for key, sub in item.items():
                walk(key, path or "_schema")
                walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(item, list):
            for index, sub in enumerate(item):
                walk(sub, f"{path}.{index}" if path else str(index))

    walk(value, "")


def serve(registry: Registry) -> None:
    gw = registry.platform["gateway"]
    app = Gateway(registry)  # its settings checked before it listens
    sock = eventlet.listen((gw["host"], gw["port"]))
    log.info("gateway listening on http://%s:%d", gw["host"], gw["port"])
    eventlet.wsgi.server(sock, app, protocol=ProblemProtocol, log_output=False, log=logging.getLogger("gateway.http"))
