"""The platform's long-running processes: one site (its services in one process) and the gateway.

``passerelle run-site CODE`` and ``passerelle run-gateway`` run them in the foreground; ``runtime.launcher``
forks them for ``up`` under the names ``site-<code>`` and ``gateway``. Either way the same function runs, with
the same preflight, logs and SIGTERM handling, and a configuration error is one line and exit status 2.
"""

from runtime import green  # noqa: F401  (first: eventlet patches the standard library)

# isort: split
import sys

from kit import logs
from kit.config import ConfigError
from kit.registry import Registry

GATEWAY = "gateway"
SITE_PREFIX = "site-"


def check_name(name: str) -> None:
    """``ValueError`` unless ``name`` is ``gateway`` or ``site-<code>``."""
    if name != GATEWAY and not name.startswith(SITE_PREFIX):
        raise ValueError(f"no process named {name!r}: expected gateway or site-<code>")


def run_site(registry: Registry, code: str, services: list[str] | None = None, port: int | None = None) -> int:
    """One site's services in this process until SIGTERM (``runtime.site_runner``)."""
    from runtime.site_runner import run

    site = registry.site(code)
    logs.setup(site=site.code)
    run(registry, site, only=services, port=port)
    return 0


def run_gateway(registry: Registry) -> int:
    """The HTTP gateway in this process until SIGTERM."""
    from gateway.app import serve

    logs.setup(site=GATEWAY)
    serve(registry)
    return 0


def run_named(registry: Registry, name: str) -> int:
    """The process ``name`` as its verb runs it; a configuration error is one line on stderr and status 2."""
    check_name(name)
    try:
        if name == GATEWAY:
            return run_gateway(registry)
        return run_site(registry, name[len(SITE_PREFIX) :])
    except ConfigError as exc:
        print(f"passerelle: {exc}", file=sys.stderr)
        return 2
