"""The fact log in memory, reloaded when a handler has recorded something new.

Reading three million rows takes seconds; a dashboard query must not. Each
process keeps the arrays of its site and a generation that every recorded
fact bumps (after its commit), and drops the arrays and the publications
computed from them when the generation moved. One reporting process per
site (the deployment runs one replica) is what makes this cache sufficient.
"""

from __future__ import annotations

import threading

from eventlet import tpool

_lock = threading.Lock()
_state: dict[str, dict] = {}


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
        entry["facts"], entry["facts_generation"], entry["publications"] = loaded, generation, {}
    return loaded


def publication(site: str, key: tuple, compute):
    """A publication computed from the current facts, memoised until the next fact.

    The computation (numpy and the suppression audit's linear programmes) runs in eventlet's thread
    pool, so the service keeps answering heartbeats and other calls meanwhile.
    """
    entry = _state.setdefault(site, {"generation": 0})
    found = entry.setdefault("publications", {}).get(key)
    if found is None:
        found = tpool.execute(compute)
        entry["publications"][key] = found
    return found
