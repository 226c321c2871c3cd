"""The platform's Prometheus metrics, defined once for every service.

Names follow Prometheus conventions (``_total`` counters, ``_seconds``
histograms). The ``service`` label names the nameko service; the scrape
target (one per site process) says which site.
"""

import os

from prometheus_client import Counter, Gauge, Histogram

ENTRYPOINT_SECONDS = Histogram(
    "passerelle_entrypoint_seconds",
    "Time spent in an RPC method or event handler.",
    ["service", "entrypoint", "kind", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "passerelle_events_published_total", "Events confirmed by the broker, by audience.", ["service", "audience"]
)
PUBLISH_FAILURES = Counter(
    "passerelle_outbox_publish_failures_total", "Outbox publications that will be retried.", ["service", "reason"]
)
OUTBOX_BACKLOG = Gauge("passerelle_outbox_backlog", "Events written to the outbox and not yet confirmed.", ["service"])
OUTBOX_LAG = Gauge("passerelle_outbox_lag_seconds", "Age of the oldest unconfirmed outbox event.", ["service"])
EVENTS_CONSUMED = Counter(
    "passerelle_events_consumed_total",
    "Events handled, by outcome (applied, failed).",
    ["service", "handler", "outcome"],
)
EVENTS_DUPLICATE = Counter("passerelle_events_duplicate_total", "Redelivered events skipped by the inbox.", ["handler"])
EVENTS_DEAD_LETTERED = Counter(
    "passerelle_events_dead_lettered_total", "Events sent to the dead-letter queue.", ["service", "handler"]
)
DB_POOL_CHECKED_OUT = Gauge("passerelle_db_pool_checked_out", "Database connections in use.", ["service"])
# Seconds between two counts of what falls due (each service's ``measure_due`` timer; the first at start).
DUE_INTERVAL = float(os.environ.get("PASSERELLE_DUE_METRICS_INTERVAL", "60"))
SECTOR_FACTS_REFUSED = Counter(
    "passerelle_sector_facts_refused_total",
    "Sector facts about a pseudonym its Mission has erased, acknowledged and not stored (a replay).",
    ["mission"],
)
DUE_ITEMS = Gauge(
    "passerelle_due_items",
    "What falls due in the Mission within 30 days (state=due) or has passed its date (state=overdue), by kind.",
    ["service", "kind", "state"],
)
UNUSUAL_READERS = Gauge(
    "passerelle_unusual_readers",
    "Users of the Mission who opened many files outside their caseload within 24 hours (beneficiary.unusual).",
    ["service"],
)
