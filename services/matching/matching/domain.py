"""The matching rules, free of nameko and of I/O: who may be proposed, how well they fit, and why.

Ranking goes both ways over the same rules:

* **hard constraints** remove a pairing: the person is placed; the person is
  not available by the vacancy's start date; the contract type is not one
  the person wishes (no wish = any); the vacancy lies beyond the person's
  mobility (no mobility stated = no limit, unknown place = not filtered);
* **soft scores** rank what remains: competences covered (essential ones
  weigh three times an optional one; a level under the one required counts in
  proportion), multiplied by the square of the share of essential competences
  held, so that a missing essential costs more than any optional one brings;
  occupation proximity (the vacancy's occupation against the person's target
  occupations); and nearness, by the distance itself (1 on the spot, 0 at
  ``NEAR_KM``): the person's mobility decides who may be proposed, while a
  shorter commute is a better fit whatever mobility was stated. The score is
  ``0.65·competences + 0.2·proximity + 0.15·nearness``, each in 0..1.

A pairing must share at least one competence to be ranked at all; every
result carries its explanation (competences matched, missing, proximity,
distance) so a counsellor can check it and push the gaps into the plan.
The proposal state machine is at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from kit.taxonomy import Taxonomy
from matching import geo
from matching.sparse import InvertedIndex, top_k

CONTRACTS = ("permanent", "fixed_term", "temp", "article_60", "apprenticeship")
ESSENTIAL_WEIGHT, OPTIONAL_WEIGHT = 3.0, 1.0
W_COMPETENCE, W_PROXIMITY, W_NEARNESS = 0.65, 0.2, 0.15
ESSENTIAL_POWER = 2.0  # coverage × (share of essentials held) ** this
SAME_FAMILY = 0.6  # proximity of two occupations of the same ROME sub-domain (F17..)
MAX_LIMIT = 200
# Nearness falls to 0 at this distance: beyond about 40 km a daily commute without a car, the
# common case for the people Missions accompany, stops being realistic in Wallonia.
NEAR_KM = 40.0
_NO_DATE = -(2 ** 31)


@dataclass
class Person:
    id: str
    municipality: str | None = None
    competences: dict[str, int] = field(default_factory=dict)  # code → level 1..4
    target_occupations: tuple[str, ...] = ()
    contract_wishes: tuple[str, ...] = ()
    mobility_km: int | None = None
    available_from: date | None = None
    placed: bool = False


@dataclass
class Job:
    id: str
    occupation: str
    competences: list[tuple[str, int, bool]] = field(default_factory=list)  # (code, level, essential)
    contract_type: str | None = None
    municipality: str | None = None
    start_date: date | None = None
    open: bool = True


def _day(d: date | None) -> int:
    return d.toordinal() if d else _NO_DATE


def _contract_bits(wishes) -> int:
    bits = 0
    for w in wishes:
        if w in CONTRACTS:
            bits |= 1 << CONTRACTS.index(w)
    return bits or (1 << len(CONTRACTS)) - 1  # no wish stated: every contract


class Proximity:
    """Occupation × occupation proximity in 0..1: 1 for the same, else the larger of the
    cosine of their competence profiles and ``SAME_FAMILY`` within a ROME sub-domain."""

    def __init__(self, taxonomy: Taxonomy):
        codes = sorted(taxonomy.occupations)
        self.pos = {c: i for i, c in enumerate(codes)}
        comp = {c: i for i, c in enumerate(taxonomy.competences)}
        m = np.zeros((len(codes), max(len(comp), 1)), dtype=np.float32)
        for i, c in enumerate(codes):
            for k in taxonomy.occupations[c].competences:
                m[i, comp[k]] = 1.0
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
        s = m @ m.T
        family = np.array([c[:3] for c in codes])
        s = np.maximum(s, np.where(family[:, None] == family[None, :], SAME_FAMILY, 0.0))
        np.fill_diagonal(s, 1.0)
        # One extra row and column of zeros: index -1 stands for an unknown occupation.
        self.matrix = np.zeros((len(codes) + 1, len(codes) + 1), dtype=np.float32)
        self.matrix[:-1, :-1] = s

    def index(self, code: str | None) -> int:
        return self.pos.get(code, -1) if code else -1

    def between(self, a: str | None, b: str | None) -> float:
        return float(self.matrix[self.index(a), self.index(b)])


def _positions(places) -> tuple[np.ndarray, np.ndarray]:
    pts = [geo.position(p) or (np.nan, np.nan) for p in places]
    arr = np.array(pts, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


class _Codes:
    """Competence code → feature number, shared by both pools of one engine."""

    def __init__(self):
        self.ids: dict[str, int] = {}

    def id(self, code: str) -> int:
        return self.ids.setdefault(code, len(self.ids))


def nearness(dist: np.ndarray) -> np.ndarray:
    """1 on the spot, falling to 0 at ``NEAR_KM``; 0.5 when a place is unknown (neither rewarded nor punished)."""
    return np.where(np.isnan(dist), 0.5, np.clip(1.0 - dist / NEAR_KM, 0.0, 1.0))


def _explain_distance(d: float) -> float | None:
    return None if np.isnan(d) else round(float(d), 1)


class Engine:
    """Both pools in numpy, ranked against each other. Build once, query many times."""

    def __init__(self, taxonomy: Taxonomy, people: list[Person], jobs: list[Job],
                 proximity: Proximity | None = None):
        self.taxonomy = taxonomy
        self.proximity = proximity or Proximity(taxonomy)
        self.codes = _Codes()
        for c in taxonomy.competences:
            self.codes.id(c)
        self._build_people(people)
        self._build_jobs(jobs)

    # -- building --------------------------------------------------------
    def _build_people(self, people: list[Person]) -> None:
        self.people = people
        self.person_pos = {p.id: i for i, p in enumerate(people)}
        rows, feats, levels = [], [], []
        for i, p in enumerate(people):
            for code, level in p.competences.items():
                rows.append(i), feats.append(self.codes.id(code)), levels.append(level)
        self.p_index = InvertedIndex(np.array(rows, dtype=np.int64), np.array(feats, dtype=np.int64),
                                     np.array(levels, dtype=np.float32), len(people), len(self.codes.ids))
        self.p_placed = np.array([p.placed for p in people], dtype=bool)
        self.p_available = np.array([_day(p.available_from) for p in people], dtype=np.int64)
        self.p_contracts = np.array([_contract_bits(p.contract_wishes) for p in people], dtype=np.int16)
        self.p_mobility = np.array([p.mobility_km if p.mobility_km is not None else np.inf for p in people],
                                   dtype=np.float64)
        self.p_lat, self.p_lon = _positions([p.municipality for p in people])
        width = max([len(p.target_occupations) for p in people] + [1])
        self.p_targets = np.full((len(people), width), -1, dtype=np.int32)
        for i, p in enumerate(people):
            for j, code in enumerate(p.target_occupations):
                self.p_targets[i, j] = self.proximity.index(code)

    def _build_jobs(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.job_pos = {j.id: i for i, j in enumerate(jobs)}
        rows, feats, levels, weights = [], [], [], []
        for i, j in enumerate(jobs):
            for code, level, essential in j.competences:
                rows.append(i), feats.append(self.codes.id(code)), levels.append(level)
                weights.append(ESSENTIAL_WEIGHT if essential else OPTIONAL_WEIGHT)
        rows, feats = np.array(rows, dtype=np.int64), np.array(feats, dtype=np.int64)
        # Two indexes with the same postings order: required level and weight of each posting.
        self.j_level = InvertedIndex(rows, feats, np.array(levels, dtype=np.float32), len(jobs), len(self.codes.ids))
        self.j_weight = InvertedIndex(rows, feats, np.array(weights, dtype=np.float32), len(jobs),
                                      len(self.codes.ids))
        self.j_total = np.bincount(rows, weights=np.array(weights), minlength=len(jobs)).astype(np.float32)
        self.j_essentials = np.bincount(rows, weights=np.array(weights) == ESSENTIAL_WEIGHT,
                                        minlength=len(jobs)).astype(np.float32)
        self.j_open = np.array([j.open for j in jobs], dtype=bool)
        self.j_start = np.array([_day(j.start_date) for j in jobs], dtype=np.int64)
        self.j_contract = np.array([1 << CONTRACTS.index(j.contract_type) if j.contract_type in CONTRACTS
                                    else (1 << len(CONTRACTS)) - 1 for j in jobs], dtype=np.int16)
        self.j_occ = np.array([self.proximity.index(j.occupation) for j in jobs], dtype=np.int32)
        self.j_lat, self.j_lon = _positions([j.municipality for j in jobs])

    # -- ranking ---------------------------------------------------------
    def _coverage_for_job(self, job: Job) -> tuple[np.ndarray, np.ndarray, float]:
        # A dense accumulator per query (calloc'd, so cheap) rather than sorting the postings:
        # within one competence a person appears once, so fancy-index += is exact.
        acc = np.zeros(len(self.people), dtype=np.float32)
        held = np.zeros(len(self.people), dtype=np.float32)  # essentials held, levels in proportion
        total, essentials, touched = 0.0, 0, False
        for code, level, essential in job.competences:
            weight = ESSENTIAL_WEIGHT if essential else OPTIONAL_WEIGHT
            total += weight
            essentials += bool(essential)
            fid = self.codes.ids.get(code)
            if fid is None:
                continue
            rows, have = self.p_index.postings(fid)
            part = np.minimum(have / max(level, 1), 1.0)
            acc[rows] += part * weight
            if essential:
                held[rows] += part
            touched = touched or len(rows) > 0
        if not touched:
            return np.empty(0, np.int64), np.empty(0, np.float32), total
        rows = np.flatnonzero(acc)
        covered = acc[rows]
        if essentials:  # on the people touched only: the full-width arrays are ten times longer
            covered *= (held[rows] / essentials) ** ESSENTIAL_POWER
        return rows, covered, total

    def _score_people(self, job: Job, rows: np.ndarray, covered: np.ndarray, total: float, exclude):
        """Hard constraints, then the soft score, for the people at ``rows``."""
        start, contract = _day(job.start_date), (
            1 << CONTRACTS.index(job.contract_type) if job.contract_type in CONTRACTS else 0)
        keep = ~self.p_placed[rows]
        if start != _NO_DATE:
            keep &= self.p_available[rows] <= start
        if contract:
            keep &= (self.p_contracts[rows] & contract) != 0
        jlat, jlon = (geo.position(job.municipality) or (np.nan, np.nan))
        dist = geo.km(self.p_lat[rows], self.p_lon[rows], jlat, jlon)
        keep &= ~(dist > self.p_mobility[rows])  # NaN (unknown place) never filters
        for ref in exclude:
            if ref in self.person_pos:
                keep &= rows != self.person_pos[ref]
        rows, covered, dist = rows[keep], covered[keep], dist[keep]
        occ = self.proximity.index(job.occupation)
        prox = self.proximity.matrix[occ][self.p_targets[rows]].max(axis=1)
        score = W_COMPETENCE * covered / total + W_PROXIMITY * prox + W_NEARNESS * nearness(dist)
        return rows, score.astype(np.float32), prox, dist

    def rank_candidates(self, job: Job, limit: int = 20, exclude=()) -> list[dict]:
        """The best ``limit`` people for ``job``, each with its explanation."""
        kept, best, score, prox, dist = self._top_people(job, limit, exclude)
        return [self._explain(self.people[kept[i]], job, float(score[i]), float(prox[i]), float(dist[i]))
                for i in best]

    def top_candidates(self, job: Job, limit: int = 20, exclude=()) -> tuple[np.ndarray, np.ndarray]:
        """(person positions, scores) of the best ``limit``, without explanations: for batch ranking."""
        kept, best, score, _, _ = self._top_people(job, limit, exclude)
        return kept[best], score[best]

    def _top_people(self, job: Job, limit: int, exclude):
        """The search behind both.

        Exact, but lazy: people are scored in decreasing order of competence
        coverage, and the search stops once the ``limit``-th score beats what
        anyone further down could reach (their coverage plus full proximity
        and nearness).
        """
        rows, covered, total = self._coverage_for_job(job)
        if len(rows) == 0 or total == 0:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0, np.float32), np.empty(0), np.empty(0)
        m = min(len(rows), max(1024, 32 * limit))
        while True:
            if m < len(rows):
                part = np.argpartition(-covered, m)
                chosen, bound = part[:m], W_COMPETENCE * covered[part[m]] / total + W_PROXIMITY + W_NEARNESS
            else:
                chosen, bound = np.arange(len(rows)), -1.0
            kept, score, prox, dist = self._score_people(job, rows[chosen], covered[chosen], total, exclude)
            best, best_scores = top_k(np.arange(len(kept)), score, limit)
            if bound < 0 or (len(best) == limit and best_scores[-1] >= bound):
                break
            m = min(len(rows), m * 4)
        return kept, best, score, prox, dist

    def rank_vacancies(self, person: Person, limit: int = 20, exclude=()) -> list[dict]:
        """The best ``limit`` open vacancies for ``person``, each with its explanation."""
        if person.placed:
            return []
        acc = np.zeros(len(self.jobs), dtype=np.float32)
        held = np.zeros(len(self.jobs), dtype=np.float32)
        for code, have in person.competences.items():
            fid = self.codes.ids.get(code)
            if fid is None:
                continue
            rows, need = self.j_level.postings(fid)
            _, weight = self.j_weight.postings(fid)
            part = np.minimum(np.float32(have) / np.maximum(need, 1.0), 1.0)
            acc[rows] += part * weight
            held[rows] += np.where(weight == ESSENTIAL_WEIGHT, part, 0.0)
        rows = np.flatnonzero(acc)
        if len(rows) == 0:
            return []
        essentials = self.j_essentials[rows]
        share = np.where(essentials > 0, held[rows] / np.maximum(essentials, 1.0), 1.0)
        covered = acc[rows] * share ** ESSENTIAL_POWER
        keep = self.j_open[rows]
        avail = _day(person.available_from)
        keep &= ~((self.j_start[rows] != _NO_DATE) & (self.j_start[rows] < avail))
        keep &= (self.j_contract[rows] & _contract_bits(person.contract_wishes)) != 0
        plat, plon = (geo.position(person.municipality) or (np.nan, np.nan))
        dist = geo.km(self.j_lat[rows], self.j_lon[rows], plat, plon)
        mobility = person.mobility_km if person.mobility_km is not None else np.inf
        keep &= ~(dist > mobility)
        for ref in exclude:
            if ref in self.job_pos:
                keep &= rows != self.job_pos[ref]
        rows, covered, dist = rows[keep], covered[keep], dist[keep]
        targets = [self.proximity.index(c) for c in person.target_occupations] or [-1]
        prox = self.proximity.matrix[self.j_occ[rows]][:, targets].max(axis=1)
        score = (W_COMPETENCE * covered / np.maximum(self.j_total[rows], 1e-9) + W_PROXIMITY * prox
                 + W_NEARNESS * nearness(dist))
        best, _ = top_k(np.arange(len(rows)), score.astype(np.float32), limit)
        return [self._explain(person, self.jobs[rows[i]], float(score[i]), float(prox[i]), float(dist[i]))
                for i in best]

    def _explain(self, person: Person, job: Job, score: float, proximity: float, distance: float) -> dict:
        label = self.taxonomy.competence_label
        matched = {"essential": [], "optional": []}
        missing = []
        for code, level, essential in job.competences:
            item = {"code": code, "label": label(code), "required_level": level}
            have = person.competences.get(code)
            if have is None:
                missing.append(dict(item, essential=essential))
                continue
            item["level"] = have
            if have < level:
                missing.append(dict(item, essential=essential, level=have))
            matched["essential" if essential else "optional"].append(item)
        return {
            "beneficiary_id": person.id, "vacancy_id": job.id, "score": round(score, 4),
            "explanation": {
                "essential_matched": matched["essential"], "optional_matched": matched["optional"],
                "missing": missing,
                "essential_coverage": f"{len(matched['essential'])}/{sum(1 for c in job.competences if c[2])}",
                "occupation_proximity": round(proximity, 3),
                "distance_km": _explain_distance(distance),
            },
        }


# -- proposals -------------------------------------------------------------
PROPOSED, PRESENTED, INTERVIEW, HIRED, REJECTED, WITHDRAWN = (
    "proposed", "presented", "interview", "hired", "rejected", "withdrawn")
ACTIVE = (PROPOSED, PRESENTED, INTERVIEW)
# to_state → the states it may be reached from.
TRANSITIONS = {
    PRESENTED: (PROPOSED,),
    INTERVIEW: (PRESENTED,),
    HIRED: (INTERVIEW,),
    REJECTED: (PRESENTED, INTERVIEW),
    WITHDRAWN: ACTIVE,
}
EVENT_OF = {PROPOSED: "proposal_made", PRESENTED: "proposal_presented", INTERVIEW: "interview_scheduled",
            HIRED: "proposal_hired", REJECTED: "proposal_rejected", WITHDRAWN: "proposal_withdrawn"}
NEEDS_REASON = (REJECTED,)


def transition_error(current: str, target: str) -> str | None:
    """Why ``current → target`` is refused, or None when it is allowed."""
    if target not in TRANSITIONS:
        return f"unknown step {target!r}"
    if current not in TRANSITIONS[target]:
        allowed = ", ".join(TRANSITIONS[target])
        return f"a proposal cannot go from {current} to {target} (only from {allowed})"
    return None
