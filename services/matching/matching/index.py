"""The ranking engine of a running service, kept in memory and rebuilt off the event loop when the data moves.

The engine (``matching.domain.Engine``) is built from the ``candidate`` and
``vacancy`` tables. A cheap stamp (row counts and latest change of both)
says whether the copy in memory is still current; when it is not, the
rebuild and every ranking run in eventlet's thread pool (``tpool``): numpy
releases the GIL, so the hub keeps answering heartbeats, RPCs and events
while a large pool is scored. One green lock makes concurrent callers share
a single rebuild.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import eventlet.semaphore
from eventlet import tpool
from nameko.extensions import DependencyProvider
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit.registry import DEFAULT_PATH
from kit.taxonomy import Taxonomy, load
from matching import geo
from matching.domain import Engine, Job, Person, Proximity
from matching.models import Candidate, Vacancy
from matching.titles import TitleIndex
from matching.weights import Tell

log = logging.getLogger(__name__)
T = TypeVar("T")
ROME_DIR_KEY = "ROME_DIR"  # container config; else $PASSERELLE_ROME_DIR; else the demo taxonomy
# Where trained title indexes are kept between starts: $PASSERELLE_CACHE_DIR, else var/cache in the checkout (shared
# by the embedded default's sites and every test process); "" trains at every start.
CACHE_DIR_ENV = "PASSERELLE_CACHE_DIR"


def cache_folder() -> Path | None:
    given = os.environ.get(CACHE_DIR_ENV)
    if given is not None:
        return Path(given) if given else None
    return DEFAULT_PATH.parent.parent / "var" / "cache"


def person_of(row: Candidate) -> Person:
    levels: dict[str, int] = {}
    for c in row.competences or ():
        levels[c["code"]] = max(levels.get(c["code"], 0), int(c["level"]))
    return Person(
        id=row.beneficiary_id,
        municipality=row.municipality,
        competences=levels,
        target_occupations=tuple(row.target_occupations or ()),
        contract_wishes=tuple(row.contract_wishes or ()),
        mobility_km=row.mobility_km,
        available_from=row.available_from,
        placed=row.placed_on is not None,
    )


def job_of(row: Vacancy) -> Job:
    # One entry per code (the last wins): the engine's postings assume a code appears once per vacancy.
    by_code = {c["code"]: (c["code"], int(c.get("level", 1)), bool(c.get("essential"))) for c in row.competences or ()}
    wanted = list(by_code.values())
    return Job(
        id=row.vacancy_id,
        occupation=row.occupation,
        competences=wanted,
        contract_type=row.contract_type,
        municipality=row.municipality,
        start_date=row.start_date,
        open=row.status == "open",
    )


def stamp(session: Session) -> tuple[Any, ...]:
    """Whether the tables moved: each one's row count and latest change."""
    return (
        session.execute(select(func.count(), func.max(Candidate.changed_at))).one(),
        session.execute(select(func.count(), func.max(Vacancy.changed_at))).one(),
    )


class _Shared:
    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        self.proximity = Proximity(taxonomy)
        self.tell = Tell(taxonomy)
        # Two locks: the title classifier takes seconds to build at start, and a ranking must not wait for it.
        self.lock = eventlet.semaphore.Semaphore(1)
        self.titles_lock = eventlet.semaphore.Semaphore(1)
        self.engine: Engine | None = None
        self.stamp: tuple[Any, ...] | None = None
        self.titles: TitleIndex | None = None

    def current(self, session: Session) -> Engine:
        with self.lock:
            now = stamp(session)
            if self.engine is None or now != self.stamp:
                # populate_existing: the caller may already hold one of these rows as it stood before a commit
                # the stamp has seen (rank_candidates loads its vacancy first). Without it the session keeps the
                # older state, and the engine would carry it under the newer stamp until the next change.
                fresh = {"populate_existing": True}
                people = [person_of(r) for r in session.scalars(select(Candidate).execution_options(**fresh))]
                jobs = [job_of(r) for r in session.scalars(select(Vacancy).execution_options(**fresh))]
                self.engine = tpool.execute(Engine, self.taxonomy, people, jobs, self.proximity)
                self.stamp = now
                log.info("matching index rebuilt: %d candidates, %d vacancies", len(people), len(jobs))
            return self.engine

    def title_index(self) -> TitleIndex:
        with self.titles_lock:
            if self.titles is None:
                self.titles = tpool.execute(TitleIndex.cached, self.taxonomy, cache_folder())
            return self.titles


class MatchIndex(DependencyProvider):
    """``self.index.engine(session)``, ``self.index.titles()``, ``self.index.taxonomy``, ``self.index.tell``,
    ``self.index.run(fn, …)``."""

    shared: _Shared | None = None

    def setup(self) -> None:
        folder = self.container.config.get(ROME_DIR_KEY) or os.environ.get("PASSERELLE_ROME_DIR") or None
        self.shared = _Shared(load(folder))

    def start(self) -> None:
        # Municipality positions (about a second of JSON and geometry, kept in the cache folder) and the title
        # index are made at start, off the hub, rather than inside the first caller's RPC budget.
        self.container.spawn_managed_thread(self._warm, identifier="matching.index.warm")

    def _warm(self) -> None:
        assert self.shared is not None  # set up before the container starts
        try:
            tpool.execute(geo.load, cache_folder())
            self.shared.title_index()
        except Exception:  # a failed warm-up only means the first call pays for it
            log.exception("matching index warm-up failed")

    def get_dependency(self, worker_ctx: Any) -> _Facade:
        assert self.shared is not None  # set up before any worker runs
        return _Facade(self.shared)


class _Facade:
    def __init__(self, shared: _Shared):
        self._shared = shared
        self.taxonomy = shared.taxonomy
        self.tell = shared.tell

    def engine(self, session: Session) -> Engine:
        return self._shared.current(session)

    def titles(self) -> TitleIndex:
        return self._shared.title_index()

    @staticmethod
    def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """CPU-heavy work off the hub."""
        return tpool.execute(fn, *args, **kwargs)
