"""Serving the front office: ``serve(registry, host, port)`` and ``python -m web``.

A threaded werkzeug server: each request is a thread blocked on the
gateway's answer (plain ``requests``, no eventlet here), which is the right
shape for a server that only waits on another server.
"""

from __future__ import annotations

import argparse
import logging

from werkzeug.serving import WSGIRequestHandler, make_server

from kit.registry import Registry
from web.app import create_app

log = logging.getLogger(__name__)


def missions_of(registry: Registry) -> list[tuple[str, str]]:
    return [(site.code, site.name) for site in registry.missions]


def gateway_url_of(registry: Registry) -> str:
    gw = registry.platform["gateway"]
    host = "127.0.0.1" if gw["host"] in ("0.0.0.0", "::") else gw["host"]
    return f"http://{host}:{gw['port']}"


class QuietHandler(WSGIRequestHandler):
    """Access lines without query strings: a search or a form's value never lands in a log."""

    def log_request(self, code="-", size="-"):
        path = self.path.split("?", 1)[0]
        log.info('%s "%s %s" %s', self.address_string(), self.command, path, code)


def make(app, host: str, port: int):
    return make_server(host, port, app, threaded=True, request_handler=QuietHandler)


def serve(registry: Registry, host: str = "127.0.0.1", port: int = 8080, gateway_url: str | None = None) -> None:
    # Sessions: PASSERELLE_WEB_SESSION_URL (Redis) when set, else a SQLite file under the data dir, which every
    # front-office process of this host shares and which outlives a restart (web/sessions.py).
    app = create_app(gateway_url or gateway_url_of(registry), missions_of(registry), data_dir=registry.data_dir)
    server = make(app, host, port)
    log.info("front office listening on http://%s:%d", host, port)
    server.serve_forever()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web", description="The Mission's front office.")
    parser.add_argument("--gateway", help="the gateway's URL (default: the registry's gateway)")
    parser.add_argument("--registry", help="registry file (default: config/missions.yaml)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    from kit import registry as registry_module
    from kit.config import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        registry = registry_module.load(args.registry)
        serve(registry, args.host, args.port, args.gateway)
    except ConfigError as exc:
        print(f"front office: {exc}")
        return 2
    return 0
