"""The gateway's WSGI application.

For now it serves ``GET /health``: every site of the registry (the eleven
Missions and InterMire) with each service's readiness, asked over RPC on the
site's own vhost. 200 when everything is ready, 503 otherwise.
"""

from __future__ import annotations

import json
import logging

import eventlet
import eventlet.wsgi
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from gateway.sites import Sites
from kit.registry import Registry

log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return Response(json.dumps(body), status=status, content_type="application/problem+json")


class Gateway:
    def __init__(self, registry: Registry):
        self.registry = registry
        self.sites = Sites(registry)
        self.urls = Map([Rule("/health", endpoint="health", methods=["GET"])])

    def health(self, request: Request) -> Response:
        body = self.sites.health()
        return Response(json.dumps(body), status=200 if body["ready"] else 503,
                        content_type="application/json")

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, _ = self.urls.bind_to_environ(environ).match()
            response = getattr(self, endpoint)(request)
        except NotFound:
            response = problem(404, "Not Found", f"no route for {request.path}")
        except HTTPException as exc:
            response = problem(exc.code or 500, exc.name)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            response = problem(500, "Internal Server Error")
        return response(environ, start_response)


def serve(registry: Registry) -> None:
    gw = registry.platform["gateway"]
    sock = eventlet.listen((gw["host"], gw["port"]))
    log.info("gateway listening on http://%s:%d", gw["host"], gw["port"])
    eventlet.wsgi.server(sock, Gateway(registry), log_output=False, log=logging.getLogger("gateway.http"))
