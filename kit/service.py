"""What every Passerelle service class is made of.

``ServiceBase`` gives a service its database (with the outbox relay), its
metrics and health, and a ``health`` RPC the gateway calls. ``SiteContext``
gives a worker its ``Placement``: which site (``kit.registry.Site``) the
service runs in, for event sources and Mission checks. Every RPC of a
service is shaped by ``kit.entrypoint``.
"""

from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider

from kit import metrics, retention
from kit.application import SystemClock
from kit.db import Database
from kit.entrypoint import Unit, entrypoint
from kit.observability import Observability
from kit.relay import OutboxRelay
from kit.rpc import rpc

SITE_KEY = "SITE"
SITE_KIND_KEY = "SITE_KIND"
# The codes of every Mission of the registry: where a file may be transferred (beneficiary.transfers).
MISSIONS_KEY = "MISSIONS"


class Placement:
    """Where a running service is: its site's code and kind, and its own name (what ``self.site`` holds)."""

    def __init__(self, code: str, kind: str, service: str, missions: tuple[str, ...] = ()):
        self.code, self.kind, self.service = code, kind, service
        self.missions = missions  # every Mission of the registry, by code

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of what this service publishes."""
        if self.kind == "intermire":
            return f"/intermire/{self.service}"
        return f"/missions/{self.code}/{self.service}"


class SiteContext(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        self.site = Placement(
            config[SITE_KEY],
            config.get(SITE_KIND_KEY, "mission"),
            self.container.service_name,
            tuple(config.get(MISSIONS_KEY, ())),
        )

    def get_dependency(self, worker_ctx: Any) -> Placement:
        return self.site


class ServiceBase:
    name: str  # the service's own name (nameko's)
    # A service that pseudonymises people sets this: its site then needs PASSERELLE_SECTOR_KEY at start.
    uses_sector_key = False

    db = Database()
    relay = OutboxRelay()
    observability = Observability()
    site = SiteContext()
    # Where entrypoints and handlers read the time (a test sets a kit.testing.FixedClock on the worker).
    clock = SystemClock()
    # The unit of work of the entrypoint running, while its body runs (kit.entrypoint).
    unit: Unit

    @rpc
    def health(self) -> dict[str, Any]:
        """Readiness of this service: its database and its broker connection."""
        return self.observability.readiness(via_broker=True)

    @entrypoint("retention.apply", session=False)
    def apply_retention(self, periods: Any = None, dry_run: Any = True) -> dict[str, Any]:
        """Sent outbox and inbox rows past the site's periods purged (``kit.retention``); with ``dry_run`` (the
        default) only counted. A service that keeps more (the beneficiary service's closed files and audit)
        declares its own."""
        return retention.apply_to_messages(self.db.transaction, self.clock.now(), periods, dry_run)

    def count_due(self, due_counts: Callable[..., dict[tuple[str, str], int]]) -> None:
        """Set ``passerelle_due_items`` from ``due_counts(session, today)``: {(kind, state): count}."""
        with self.db.session() as session:
            counts = due_counts(session, self.clock.today())
        for (kind, state), n in counts.items():
            metrics.DUE_ITEMS.labels(self.name, kind, state).set(n)
