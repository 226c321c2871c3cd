"""The best people for a vacancy: exact, but reading only the postings that could still change the list.

The pool keeps each person's competences twice: postings (who holds a
competence) and rows (what a person holds). A query starts from the
vacancy's rarest competences, scores exactly the few people holding them,
and takes the ``limit``-th score as a threshold. Anyone holding none of a
set ``S`` of the vacancy's competences can reach at most

    W_COMPETENCE · W_rest · (E_rest / E)² / total + W_PROXIMITY + W_NEARNESS

(``W_rest`` the weight of the competences outside ``S``, each weighing
what it tells (see ``matching.weights``) times 3 if essential, ``E_rest``
the essentials among them, ``E`` all essentials asked): the competences they
hold are all outside ``S``. The bound depends on how many essential and
optional competences ``S`` holds, so the cheapest ``S`` for a bound is the
rarest ``e`` essentials and rarest ``o`` optional ones; the cheapest (e, o)
whose bound is under the threshold names everyone who can still enter the
list, and the long postings of the competences every trade asks for ("work
in a team") are seldom read. Before a threshold is known (fewer than
``limit`` people read), ``GUESSES`` stand in for it. When no ``S`` short of all competences qualifies (a rare
trade with few holders), everyone sharing a competence is scored, which is
the plain definition; ``full_scan`` is that definition, kept for tests.

Coverage is summed in twelfths: with levels 1..4, ``min(have / level, 1)``
is a whole number of twelfths, and competence weights are whole eighths, so
the sums are exact whatever order they are added in, and a person gets bit
for bit the same score whichever path (one vacancy, a batch, the full scan)
computed it. Equal scores are ordered by what a counsellor would look at
next: the person living nearer first (an unknown place last), then the one
available earlier (no date stated counts as available now), then by id,
which makes the top-k a function of the people alone, not of their order.
Inside the pool people are renumbered by target occupation (``origin`` maps
back), which keeps a vacancy's likely candidates close together in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import numpy as np

from matching import geo
from matching.sparse import best

# matching.domain's Person, Job and Proximity: domain builds on this module, so it cannot import them here.
Person: TypeAlias = Any
Job: TypeAlias = Any
Proximity: TypeAlias = Any

CONTRACTS = ("permanent", "fixed_term", "temp", "article_60", "apprenticeship")
ESSENTIAL_WEIGHT, OPTIONAL_WEIGHT = 3.0, 1.0
W_COMPETENCE, W_PROXIMITY, W_NEARNESS = 0.65, 0.2, 0.15
ESSENTIAL_POWER = 2  # coverage × (share of essentials held) ** this
# Nearness falls to 0 at this distance: beyond about 40 km a daily commute without a car, the
# common case for the people Missions accompany, stops being realistic in Wallonia.
NEAR_KM = 40.0
NO_DATE = -(2**31)
SCALE = 12  # lcm of the levels 1..4: coverage parts are whole twelfths
MAX_LEVEL = 4
HELD = float(2**16)  # the essentials' twelfths ride in the same sum as the weighted ones, this far up
# Thresholds tried, highest first, until the people read give ``limit`` scores to take the real one from;
# half the vacancies of the benchmark have their 20th score above 0.62.
GUESSES = (0.7, 0.55, 0.45)
# Margin between the bound and the threshold: scores are float32, the bound is exact arithmetic.
EPS = 1e-5


def day(d: date | None) -> int:
    return d.toordinal() if d else NO_DATE


def contract_bits(wishes: Iterable[str]) -> int:
    bits = 0
    for w in wishes:
        if w in CONTRACTS:
            bits |= 1 << CONTRACTS.index(w)
    return bits or (1 << len(CONTRACTS)) - 1  # no wish stated: every contract


def nearness(dist: np.ndarray) -> np.ndarray:
    """1 on the spot, falling to 0 at ``NEAR_KM``; 0.5 when a place is unknown (neither rewarded nor punished)."""
    return np.where(np.isnan(dist), 0.5, np.clip(1.0 - dist / NEAR_KM, 0.0, 1.0))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: for a few thousand integers numpy's hash-based unique is many times slower."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def not_in(values: np.ndarray, sorted_other: np.ndarray) -> np.ndarray:
    """The ``values`` absent from ``sorted_other`` (increasing, unique)."""
    if len(sorted_other) == 0:
        return values
    at = np.minimum(np.searchsorted(sorted_other, values), len(sorted_other) - 1)
    return values[sorted_other[at] != values]


@dataclass
class Query:
    """One vacancy in the pool's numbers (see ``Pool.query``)."""

    lists: tuple[np.ndarray, np.ndarray]  # competences held by somebody: (essential, optional), rarest first
    weights: tuple[np.ndarray, np.ndarray]  # the weight of each of ``lists``, in the same order
    lut: np.ndarray  # (competence, level held) → twelfths × weight + HELD × twelfths if essential
    total: float  # weight of every competence asked, held by somebody or not
    essentials: int  # essentials asked, held by somebody or not
    occupation: int  # row of the proximity matrix
    place: np.ndarray  # distance from each pool place to the vacancy (NaN: unknown)
    start: int
    contract: int  # one bit, or 0 when the vacancy states no known contract (no filter)


@dataclass
class Scored:
    rows: np.ndarray  # person positions
    score: np.ndarray  # float32
    proximity: np.ndarray
    distance: np.ndarray

    def plus(self, other: Scored) -> Scored:
        return Scored(
            *(
                np.concatenate((a, b))
                for a, b in zip(
                    (self.rows, self.score, self.proximity, self.distance),
                    (other.rows, other.score, other.proximity, other.distance),
                    strict=True,
                )
            )
        )


_NONE = Scored(np.empty(0, np.int32), np.empty(0, np.float32), np.empty(0, np.float32), np.empty(0))


class Pool:
    """The people as arrays, for ranking them against vacancies."""

    def __init__(
        self,
        people: Sequence[Person],
        feature_ids: dict[str, int],
        n_features: int,
        proximity: Proximity,
        tell: Callable[[str], float] = lambda code: 1.0,
    ) -> None:
        self.proximity = proximity
        self.n_features = n_features
        self.tell = tell  # competence code → how much holding it tells (whole eighths)
        n = len(people)
        # The last tie-break, in the caller's positions: the rank of each person's id.
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[np.argsort(np.array([str(p.id) for p in people]), kind="stable")] = np.arange(n)
        # Inside the pool people are numbered by target occupation: the holders of a vacancy's rare
        # competences then sit close together and the per-person lookups stay in cache. ``origin``
        # maps back to the caller's positions, which is what results (and ties) are expressed in.
        first_target = np.fromiter(
            (proximity.index(p.target_occupations[0]) if p.target_occupations else -1 for p in people),
            dtype=np.int64,
            count=n,
        )
        self.origin = np.argsort(first_target, kind="stable").astype(np.int32)
        self.inside = np.empty(n, dtype=np.int32)
        self.inside[self.origin] = np.arange(n, dtype=np.int32)
        people = [people[i] for i in self.origin]
        counts = np.fromiter((len(p.competences) for p in people), dtype=np.int64, count=n)
        total = int(counts.sum())
        feats = np.fromiter((feature_ids[c] for p in people for c in p.competences), dtype=np.int64, count=total)
        have = np.fromiter((lv for p in people for lv in p.competences.values()), dtype=np.int64, count=total)
        # Rows: what each person holds, as one number per (competence, level held) for the lookup table.
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.keys = (feats * (MAX_LEVEL + 1) + np.clip(have, 0, MAX_LEVEL)).astype(np.int32)
        # Postings: who holds each competence, in increasing pool number. A placed person is never a
        # candidate, so is left out of them.
        self.placed = np.array([p.placed for p in people], dtype=bool)
        owner = np.repeat(np.arange(n, dtype=np.int32), counts)
        listed = ~self.placed[owner]
        feats, owner = feats[listed], owner[listed]
        order = np.argsort(feats, kind="stable")
        self.post_rows = owner[order]
        self.post_ptr = np.zeros(n_features + 1, dtype=np.int64)
        np.cumsum(np.bincount(feats, minlength=n_features), out=self.post_ptr[1:])
        self.post_len = np.diff(self.post_ptr)

        self.available = np.array([day(p.available_from) for p in people], dtype=np.int32)
        self.available_at = np.empty(n, dtype=np.int64)  # in the caller's positions, for ties
        self.available_at[self.origin] = self.available
        self.contracts = np.array([contract_bits(p.contract_wishes) for p in people], dtype=np.int8)
        self.mobility = np.array(
            [p.mobility_km if p.mobility_km is not None else np.inf for p in people], dtype=np.float32
        )
        width = max([len(p.target_occupations) for p in people] + [1])
        self.targets = np.full((n, width), -1, dtype=np.int32)
        for i, p in enumerate(people):
            for j, code in enumerate(p.target_occupations):
                self.targets[i, j] = proximity.index(code)
        # Places: one number per known municipality, the last one for "unknown".
        known = sorted({p.municipality for p in people if p.municipality and geo.position(p.municipality)})
        number: dict[str | None, int] = {m: i for i, m in enumerate(known)}
        self.place = np.array([number.get(p.municipality, len(known)) for p in people], dtype=np.int32)
        pts = np.array([geo.position(m) for m in known], dtype=np.float64).reshape(-1, 2)
        self._lat, self._lon = pts[:, 0], pts[:, 1]
        self._distances: dict[str | None, np.ndarray] = {}
        # 0, 12/level_asked, … for each level held: the coverage part of a level, in twelfths.
        self._twelfths = np.minimum(
            np.arange(MAX_LEVEL + 1)[None, :] * SCALE // np.arange(1, MAX_LEVEL + 1)[:, None], SCALE
        ).astype(np.float64)

    def __len__(self) -> int:
        return len(self.placed)

    def distances_to(self, municipality: str | None) -> np.ndarray:
        """Distance from every pool place (and NaN for the unknown one) to ``municipality``."""
        found = self._distances.get(municipality)
        if found is None:
            lat, lon = geo.position(municipality) or (np.nan, np.nan)
            found = np.append(geo.km(self._lat, self._lon, lat, lon), np.nan)
            self._distances[municipality] = found  # a race only computes the same array twice
        return found

    # -- one vacancy -----------------------------------------------------
    def query(self, job: Job, feature_ids: dict[str, int]) -> Query:
        """``job.competences`` hold each code once: (code, level, essential)."""
        lut = np.zeros(self.n_features * (MAX_LEVEL + 1), dtype=np.float64)
        lists: tuple[list[int], list[int]] = ([], [])
        weight_of: dict[int, float] = {}
        total, essentials = 0.0, 0
        for code, level, essential in job.competences:
            weight = (ESSENTIAL_WEIGHT if essential else OPTIONAL_WEIGHT) * self.tell(code)
            total += weight
            essentials += bool(essential)
            fid = feature_ids.get(code)
            if fid is None or fid >= self.n_features or self.post_len[fid] == 0:
                continue  # nobody holds it: it counts in the total only
            parts = self._twelfths[min(max(int(level), 1), MAX_LEVEL) - 1]
            at = fid * (MAX_LEVEL + 1)
            lut[at : at + MAX_LEVEL + 1] = parts * weight + (HELD * parts if essential else 0.0)
            lists[0 if essential else 1].append(fid)
            weight_of[fid] = weight
        essential_first, optional_first = (
            np.array(sorted(f, key=lambda x: (self.post_len[x], x)), dtype=np.int64) for f in lists
        )
        ordered = (essential_first, optional_first)
        weights = tuple(np.array([weight_of[int(f)] for f in fids], dtype=np.float64) for fids in ordered)
        contract = 1 << CONTRACTS.index(job.contract_type) if job.contract_type in CONTRACTS else 0
        return Query(
            ordered,
            (weights[0], weights[1]),
            lut,
            total,
            essentials,
            self.proximity.index(job.occupation),
            self.distances_to(job.municipality),
            day(job.start_date),
            contract,
        )

    def holders(self, features: Sequence[int]) -> np.ndarray:
        """Everyone (not placed) holding at least one of ``features``, in increasing pool number."""
        parts = [self.post_rows[self.post_ptr[f] : self.post_ptr[f + 1]] for f in features]
        if not parts:
            return np.empty(0, np.int32)
        if len(parts) == 1:
            return parts[0]
        return sorted_unique(np.concatenate(parts))

    def score(self, q: Query, rows: np.ndarray, exclude: np.ndarray | None = None) -> Scored:
        """Hard constraints, then the soft score, of the people at ``rows`` (pool numbers, none placed;
        ``exclude`` in pool numbers too)."""
        keep = np.ones(len(rows), dtype=bool) if q.start == NO_DATE else self.available[rows] <= q.start
        if q.contract:
            keep &= (self.contracts[rows] & q.contract) != 0
        dist = q.place[self.place[rows]]
        keep &= ~(dist > self.mobility[rows])  # NaN (unknown place) never filters
        if exclude is not None and len(exclude):
            keep &= ~np.isin(rows, exclude)
        rows, dist = rows[keep], dist[keep]
        # Each person's competences looked up in the vacancy's table and summed per person.
        lo = self.indptr[rows]
        lens = self.indptr[rows + 1] - lo
        idx = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(lo - np.cumsum(lens) + lens, lens)
        both = np.bincount(np.repeat(np.arange(len(rows)), lens), weights=q.lut[self.keys[idx]], minlength=len(rows))
        held = np.floor(both / HELD)
        covered = (both - held * HELD) / SCALE
        if q.essentials:
            covered = covered * (held / (SCALE * q.essentials)) ** ESSENTIAL_POWER
        prox = self.proximity.matrix[q.occupation][self.targets[rows]].max(axis=1)
        score = W_COMPETENCE * covered / q.total + W_PROXIMITY * prox + W_NEARNESS * nearness(dist)
        return Scored(rows, score.astype(np.float32), prox, dist)

    def bounds(self, q: Query) -> np.ndarray:
        """``bounds[e, o]``: the best score anyone holding none of the ``e`` rarest essentials and
        ``o`` rarest optional competences can reach."""
        n_e = len(q.lists[0])
        e_rest = (n_e - np.arange(n_e + 1))[:, None]
        # The weight of what is left once the first e (o) are set aside: suffix sums, exact in eighths.
        w_e, w_o = (np.append(np.cumsum(w[::-1])[::-1], 0.0) for w in q.weights)
        w_rest = w_e[:, None] + w_o[None, :]
        share = (e_rest / q.essentials) ** ESSENTIAL_POWER if q.essentials else 1.0
        return W_COMPETENCE * w_rest * share / q.total + W_PROXIMITY + W_NEARNESS

    def top(self, q: Query, limit: int, exclude: np.ndarray | None = None) -> Scored:
        """The best ``limit`` people, best first (score, then position); positions are the caller's,
        in the result and in ``exclude``.

        Reads the rarest ``e`` essential and ``o`` optional competences'
        holders, the cheapest (e, o) whose bound is under the threshold, and
        widens until the ``limit``-th score read beats the bound of the rest.
        """
        ess, opt = q.lists
        if len(ess) + len(opt) == 0 or q.total == 0 or limit <= 0:
            return _NONE
        bound = self.bounds(q)
        cost = (
            np.append(0, np.cumsum(self.post_len[ess]))[:, None] + np.append(0, np.cumsum(self.post_len[opt]))[None, :]
        )
        everything = (len(ess), len(opt))
        exclude = self.inside[exclude] if exclude is not None else None
        guesses = iter(GUESSES)
        read, seen, scored = (0, 0), np.empty(0, np.int32), _NONE
        while read != everything:
            threshold = (
                float(scored.score[best(scored.score, limit, scored.rows)[-1]]) if len(scored.rows) >= limit else None
            )
            if threshold is not None and bound[read] + EPS < threshold:
                break  # nobody unread can enter the list
            goal = threshold if threshold is not None else next(guesses, None)
            ok = bound + EPS < goal if goal is not None else np.zeros_like(bound, dtype=bool)
            if ok.any():
                cheapest = np.unravel_index(np.argmin(np.where(ok, cost, np.iinfo(np.int64).max)), cost.shape)
                e, o = max(int(cheapest[0]), read[0]), max(int(cheapest[1]), read[1])
            else:
                e, o = everything
            if (e, o) == read:  # this guess asks nothing new: try the next one
                continue
            fresh = self.holders([*ess[read[0] : e], *opt[read[1] : o]])
            fresh = not_in(fresh, seen)
            seen = sorted_unique(np.concatenate((seen, fresh))) if len(seen) else fresh
            scored = scored.plus(self.score(q, fresh, exclude))
            read = (e, o)
        return self.pick(scored, limit)

    def pick(self, scored: Scored, limit: int) -> Scored:
        """The best ``limit`` of ``scored`` (pool numbers), in the caller's positions; equal scores nearer
        first, then available earlier, then by id."""
        rows = self.origin[scored.rows]
        far = np.where(np.isnan(scored.distance), np.inf, scored.distance)
        i = best(scored.score, limit, (far, self.available_at[rows], self.id_rank[rows]))
        return Scored(rows[i], scored.score[i], scored.proximity[i], scored.distance[i])

    def full_scan(self, q: Query, limit: int, exclude: np.ndarray | None = None) -> Scored:
        """The definition: score everyone sharing a competence with the vacancy, keep the best."""
        exclude = self.inside[exclude] if exclude is not None else None
        return self.pick(self.score(q, self.holders([*q.lists[0], *q.lists[1]]), exclude), limit)
