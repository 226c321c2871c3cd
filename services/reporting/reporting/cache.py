"""The fact log in memory, reloaded when a handler has recorded something new; published tables by data version.

Reading three million rows takes seconds; a dashboard query must not. Each
process keeps the arrays of its site and a generation that every recorded
fact bumps (after its commit), and drops the arrays when the generation
moved. One reporting process per site (the deployment runs one replica) is
what makes this cache sufficient.

A published table (small cells protected: the expensive part) is kept under
its indicator, period, breakdown and data version
(``reporting.engine.data_version``: a digest of the facts behind it), not
under the generation: a new fact in 2026 leaves every 2025 table where it
is, and a table is computed again only when a fact behind it changed. The
``PUBLICATIONS`` most recently used are kept.

A table not yet computed goes through the site's ``kit.work.Flights``: identical requests arriving while it
is computed wait for that one computation, at most ``HEAVY_LIMIT`` run at once (one more is answered
``Busy``), and the computation stops once every caller waiting for it has passed its deadline.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from kit.work import Deadline, Flights

_lock = threading.Lock()
_state: dict[str, dict] = {}
PUBLICATIONS = 1024
# Protection is CPU-bound and single-threaded per table: beyond the machine's cores, more at once only
# makes each caller wait longer.
HEAVY_LIMIT = int(os.environ.get("PASSERELLE_REPORTING_HEAVY_LIMIT", os.cpu_count() or 2))
_flights: dict[str, Flights] = {}


def flights(site: str) -> Flights:
    with _lock:
        found = _flights.get(site)
        if found is None:
            found = _flights[site] = Flights(HEAVY_LIMIT)
        return found


def bump(site: str) -> None:
    with _lock:
        entry = _state.setdefault(site, {"generation": 0})
        entry["generation"] += 1


def facts(site: str, load):
    """The site's ``Facts``, loaded with ``load()`` unless still current."""
    with _lock:
        entry = _state.setdefault(site, {"generation": 0})
        generation = entry["generation"]
        if entry.get("facts_generation") == generation:
            return entry["facts"]
    loaded = load()
    with _lock:
        entry["facts"], entry["facts_generation"] = loaded, generation
    return loaded


def publication(site: str, key: tuple, compute, deadline: Deadline | None = None):
    """A publication memoised under ``key``, which ends with the data version of the facts behind it.

    The computation (numpy and the suppression audit's linear programmes) runs in eventlet's thread
    pool, so the service keeps answering heartbeats and other calls meanwhile; it checks ``deadline``
    (``kit.work.check``) between its steps.
    """
    with _lock:
        published = _state.setdefault(site, {"generation": 0}).setdefault("publications", OrderedDict())
        found = published.get(key)
        if found is not None:
            published.move_to_end(key)
            return found
    found = flights(site).run(key, compute, deadline)
    with _lock:
        published[key] = found
        while len(published) > PUBLICATIONS:
            published.popitem(last=False)
    return found
