"""The matching rules, free of nameko and of I/O: who may be proposed, how well they fit, and why.

Ranking goes both ways over the same rules:

* **hard constraints** remove a pairing: the person is placed; the person is
  not available by the vacancy's start date; the contract type is not one
  the person wishes (no wish = any); the vacancy lies beyond the person's
  mobility (no mobility stated = no limit, unknown place = not filtered);
* **soft scores** rank what remains: competences covered, each weighing
  what it tells (its IDF over the taxonomy's occupations, ``matching.weights``:
  a competence few trades ask for counts more than one every trade asks for),
  times three when essential; a level under the one required counts in
  proportion; multiplied by the square of the share of essential competences
  held, so that a missing essential costs more than any optional one brings;
  occupation proximity (the vacancy's occupation against the person's target
  occupations); and nearness, by the distance itself (1 on the spot, 0 at
  ``NEAR_KM``): the person's mobility decides who may be proposed, while a
  shorter commute is a better fit whatever mobility was stated. The score is
  ``0.65·competences + 0.2·proximity + 0.15·nearness``, each in 0..1.

A pairing must share at least one competence to be ranked at all; every
result carries its explanation (competences matched, missing, which of them
are rare, proximity, distance) so a counsellor can check it and push the gaps
into the plan. Equal scores are ordered nearer first, then by the earlier
availability (candidates) or start date (vacancies), then by id.
People are ranked for a vacancy by ``matching.candidates`` (an exact top-k
that reads only the postings that can change it); the proposal state machine
is at the end of this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from kit.taxonomy import Taxonomy
from matching import geo
from matching.candidates import (
    CONTRACTS,
    ESSENTIAL_POWER,
    ESSENTIAL_WEIGHT,
    NEAR_KM,
    NO_DATE,
    OPTIONAL_WEIGHT,
    W_COMPETENCE,
    W_NEARNESS,
    W_PROXIMITY,
    Pool,
    contract_bits,
    day,
    nearness,
)
from matching.sparse import InvertedIndex, best
from matching.weights import Tell

__all__ = [
    "CONTRACTS",
    "ESSENTIAL_WEIGHT",
    "OPTIONAL_WEIGHT",
    "NEAR_KM",
    "W_COMPETENCE",
    "W_PROXIMITY",
    "W_NEARNESS",
    "Engine",
    "Job",
    "Person",
    "Proximity",
    "nearness",
    "transition_error",
]

# A ranked match, or a part of its explanation, as the RPC answers it (JSON).
Answer = dict[str, Any]
SAME_FAMILY = 0.6  # proximity of two occupations of the same ROME sub-domain (F17..)
MAX_LIMIT = 200


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


def _positions(places: Iterable[str | None]) -> tuple[np.ndarray, np.ndarray]:
    pts = [geo.position(p) or (np.nan, np.nan) for p in places]
    arr = np.array(pts, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


class _Codes:
    """Competence code → feature number, shared by both pools of one engine."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, code: str) -> int:
        return self.ids.setdefault(code, len(self.ids))


def _explain_distance(d: float) -> float | None:
    return None if np.isnan(d) else round(float(d), 1)


class Engine:
    """Both pools in numpy, ranked against each other. Build once, query many times."""

    def __init__(self, taxonomy: Taxonomy, people: list[Person], jobs: list[Job], proximity: Proximity | None = None):
        self.taxonomy = taxonomy
        self.proximity = proximity or Proximity(taxonomy)
        self.tell = Tell(taxonomy)
        self.codes = _Codes()
        for c in taxonomy.competences:
            self.codes.id(c)
        self._build_people(people)
        self._build_jobs(jobs)

    # -- building --------------------------------------------------------
    def _build_people(self, people: list[Person]) -> None:
        self.people = people
        self.person_pos = {p.id: i for i, p in enumerate(people)}
        for p in people:
            for code in p.competences:
                self.codes.id(code)
        self.pool = Pool(people, self.codes.ids, len(self.codes.ids), self.proximity, self.tell)

    def _build_jobs(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.job_pos = {j.id: i for i, j in enumerate(jobs)}
        posting_jobs: list[int] = []
        posting_codes: list[int] = []
        levels: list[int] = []
        weights: list[float] = []
        essentials: list[bool] = []
        for i, j in enumerate(jobs):
            for code, level, essential in j.competences:
                posting_jobs.append(i)
                posting_codes.append(self.codes.id(code))
                levels.append(level)
                weights.append((ESSENTIAL_WEIGHT if essential else OPTIONAL_WEIGHT) * self.tell(code))
                essentials.append(bool(essential))
        rows, feats = np.array(posting_jobs, dtype=np.int64), np.array(posting_codes, dtype=np.int64)
        n_codes = len(self.codes.ids)
        # Three indexes with the same postings order: required level, weight, and whether essential.
        self.j_level = InvertedIndex(rows, feats, np.array(levels, dtype=np.float32), len(jobs), n_codes)
        self.j_weight = InvertedIndex(rows, feats, np.array(weights, dtype=np.float32), len(jobs), n_codes)
        self.j_essential = InvertedIndex(rows, feats, np.array(essentials, dtype=np.float32), len(jobs), n_codes)
        self.j_total = np.bincount(rows, weights=np.array(weights), minlength=len(jobs)).astype(np.float32)
        self.j_essentials = np.bincount(rows, weights=np.array(essentials), minlength=len(jobs)).astype(np.float32)
        self.j_id_rank = np.empty(len(jobs), dtype=np.int64)
        self.j_id_rank[np.argsort(np.array([str(j.id) for j in jobs]), kind="stable")] = np.arange(len(jobs))
        self.j_open = np.array([j.open for j in jobs], dtype=bool)
        self.j_start = np.array([day(j.start_date) for j in jobs], dtype=np.int64)
        self.j_contract = np.array(
            [
                1 << CONTRACTS.index(j.contract_type) if j.contract_type in CONTRACTS else (1 << len(CONTRACTS)) - 1
                for j in jobs
            ],
            dtype=np.int16,
        )
        self.j_occ = np.array([self.proximity.index(j.occupation) for j in jobs], dtype=np.int32)
        self.j_lat, self.j_lon = _positions([j.municipality for j in jobs])

    # -- candidates for a vacancy -----------------------------------------
    def _excluded(self, exclude: Iterable[str]) -> np.ndarray | None:
        found = [self.person_pos[ref] for ref in exclude if ref in self.person_pos]
        return np.array(found, dtype=np.int32) if found else None

    def rank_candidates(self, job: Job, limit: int = 20, exclude: Iterable[str] = ()) -> list[Answer]:
        """The best ``limit`` people for ``job``, each with its explanation."""
        top = self.pool.top(self.pool.query(job, self.codes.ids), limit, self._excluded(exclude))
        return [
            self._explain(self.people[r], job, float(s), float(p), float(d))
            for r, s, p, d in zip(top.rows, top.score, top.proximity, top.distance, strict=True)
        ]

    def top_candidates(self, job: Job, limit: int = 20, exclude: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """(person positions, scores) of the best ``limit``, without explanations: for batch ranking."""
        top = self.pool.top(self.pool.query(job, self.codes.ids), limit, self._excluded(exclude))
        return top.rows, top.score

    def top_candidates_many(self, jobs: Iterable[Job], limit: int = 20) -> list[tuple[np.ndarray, np.ndarray]]:
        """``top_candidates`` of each of ``jobs``, in order: the batch path (every open vacancy ranked).

        Each vacancy reads only the holders of its rarest competences (see
        ``matching.candidates``), so a batch costs about a millisecond a
        vacancy; callers split a long batch over threads (numpy releases the GIL).
        """
        ids = self.codes.ids
        out = []
        for job in jobs:
            top = self.pool.top(self.pool.query(job, ids), limit)
            out.append((top.rows, top.score))
        return out

    def full_scan(self, job: Job, limit: int = 20, exclude: Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
        """What ``top_candidates`` must equal: everyone sharing a competence scored (for tests)."""
        top = self.pool.full_scan(self.pool.query(job, self.codes.ids), limit, self._excluded(exclude))
        return top.rows, top.score

    # -- vacancies for a person -------------------------------------------
    def rank_vacancies(self, person: Person, limit: int = 20, exclude: Iterable[str] = ()) -> list[Answer]:
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
            _, essential = self.j_essential.postings(fid)
            part = np.minimum(np.float32(have) / np.maximum(need, 1.0), 1.0)
            acc[rows] += part * weight
            held[rows] += part * essential
        rows = np.flatnonzero(acc)
        if len(rows) == 0:
            return []
        essentials = self.j_essentials[rows]
        share = np.where(essentials > 0, held[rows] / np.maximum(essentials, 1.0), 1.0)
        covered = acc[rows] * share**ESSENTIAL_POWER
        keep = self.j_open[rows]
        avail = day(person.available_from)
        keep &= ~((self.j_start[rows] != NO_DATE) & (self.j_start[rows] < avail))
        keep &= (self.j_contract[rows] & contract_bits(person.contract_wishes)) != 0
        plat, plon = geo.position(person.municipality) or (np.nan, np.nan)
        dist = geo.km(self.j_lat[rows], self.j_lon[rows], plat, plon)
        mobility = person.mobility_km if person.mobility_km is not None else np.inf
        keep &= ~(dist > mobility)
        for ref in exclude:
            if ref in self.job_pos:
                keep &= rows != self.job_pos[ref]
        rows, covered, dist = rows[keep], covered[keep], dist[keep]
        targets = [self.proximity.index(c) for c in person.target_occupations] or [-1]
        prox = self.proximity.matrix[self.j_occ[rows]][:, targets].max(axis=1)
        score = (
            W_COMPETENCE * covered / np.maximum(self.j_total[rows], 1e-9)
            + W_PROXIMITY * prox
            + W_NEARNESS * nearness(dist)
        )
        # Equal scores: the nearer vacancy first (unknown place last), then the one starting earlier, then by id.
        far = np.where(np.isnan(dist), np.inf, dist)
        chosen = best(score.astype(np.float32), limit, (far, self.j_start[rows], self.j_id_rank[rows]))
        return [
            self._explain(person, self.jobs[rows[i]], float(score[i]), float(prox[i]), float(dist[i])) for i in chosen
        ]

    def _explain(self, person: Person, job: Job, score: float, proximity: float, distance: float) -> Answer:
        label = self.taxonomy.competence_label
        matched: dict[str, list[Answer]] = {"essential": [], "optional": []}
        for code, level, essential in job.competences:
            have = person.competences.get(code)
            if have is not None:
                item = {"code": code, "label": label(code), "required_level": level, "rare": self.tell.rare(code)}
                matched["essential" if essential else "optional"].append(dict(item, level=have))
        missing = gaps(person, job, self.taxonomy, self.tell)
        return {
            "beneficiary_id": person.id,
            "vacancy_id": job.id,
            "score": round(score, 4),
            "explanation": {
                "essential_matched": matched["essential"],
                "optional_matched": matched["optional"],
                "missing": missing,
                # What sets this pairing apart: the rare competences (few trades ask for them) the person holds.
                "rare_matched": [
                    m["label"] or m["code"] for m in matched["essential"] + matched["optional"] if m["rare"]
                ],
                "essential_coverage": f"{len(matched['essential'])}/{sum(1 for c in job.competences if c[2])}",
                "occupation_proximity": round(proximity, 3),
                "distance_km": _explain_distance(distance),
            },
        }


def gaps(person: Person, job: Job, taxonomy: Taxonomy, tell: Tell) -> list[Answer]:
    """What ``person`` lacks of what ``job`` asks, in the job's order: each competence not held, or held under
    the level required (``level`` then says at which), with its label, whether it is essential and whether it
    is rare. The ``missing`` part of every explanation, and what a counsellor turns into plan actions."""
    missing: list[Answer] = []
    for code, level, essential in job.competences:
        have = person.competences.get(code)
        if have is not None and have >= level:
            continue
        item: Answer = {
            "code": code,
            "label": taxonomy.competence_label(code),
            "required_level": level,
            "rare": tell.rare(code),
            "essential": essential,
        }
        missing.append(item if have is None else dict(item, level=have))
    return missing


def occupation_job(taxonomy: Taxonomy, code: str) -> Job | None:
    """An occupation of the taxonomy as a profile to measure a person against: each of its competences at the
    first level (the taxonomy states no level), none essential (the loaded ROME marks none)."""
    found = taxonomy.occupation(code)
    if found is None:
        return None
    return Job(id=code, occupation=code, competences=[(c, 1, False) for c in found.competences])


# -- proposals -------------------------------------------------------------
PROPOSED, PRESENTED, INTERVIEW, HIRED, REJECTED, WITHDRAWN = (
    "proposed",
    "presented",
    "interview",
    "hired",
    "rejected",
    "withdrawn",
)
ACTIVE = (PROPOSED, PRESENTED, INTERVIEW)
# A pair in a live proposal, or hired, is not suggested again (a vacancy of several posts stays ranked).
TAKEN = ACTIVE + (HIRED,)
# to_state → the states it may be reached from.
TRANSITIONS = {
    PRESENTED: (PROPOSED,),
    INTERVIEW: (PRESENTED,),
    HIRED: (INTERVIEW,),
    REJECTED: (PRESENTED, INTERVIEW),
    WITHDRAWN: ACTIVE,
}
EVENT_OF = {
    PROPOSED: "proposal_made",
    PRESENTED: "proposal_presented",
    INTERVIEW: "interview_scheduled",
    HIRED: "proposal_hired",
    REJECTED: "proposal_rejected",
    WITHDRAWN: "proposal_withdrawn",
}
NEEDS_REASON = (REJECTED,)


def transition_error(current: str, target: str) -> str | None:
    """Why ``current → target`` is refused, or None when it is allowed."""
    if target not in TRANSITIONS:
        return f"unknown step {target!r}"
    if current not in TRANSITIONS[target]:
        allowed = ", ".join(TRANSITIONS[target])
        return f"a proposal cannot go from {current} to {target} (only from {allowed})"
    return None


# -- vacancies -------------------------------------------------------------
# Matching's own view of a vacancy: open (ranked and proposable) until its last post is filled or it closes.
VACANCY_OPEN, VACANCY_FILLED, VACANCY_CLOSED = "open", "filled", "closed"


def last_post(posts: int, filled: int) -> bool:
    """Whether a ``vacancy_filled`` event, saying ``filled`` of ``posts`` are taken, filled the last post.

    A vacancy of several posts is filled post by post (the employer service says ``partially_filled`` until
    the last); the contract's ``vacancy_filled`` always carries both counts.
    """
    return filled >= posts
