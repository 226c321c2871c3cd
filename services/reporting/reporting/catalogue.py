"""The indicator catalogue: what each indicator counts, as data, versioned.

Every figure reporting produces is one of these definitions applied to the
fact log. A definition says which facts count (event types and, for some, a
qualifier such as a commitment's outcome), whether it counts distinct
persons, distinct entities (a vacancy, a convention) or acts, and which date
places a fact in a period (``FACT_DATES``, per event type). Changing a
definition means a new ``VERSION``: submitted snapshots record the version
they were computed with, so a figure can always be traced to its rule.

Codes (``TYPES``, ``GENDERS``…) are stored in the fact tables as small
integers; append to these tuples, never reorder them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# 2: exits by reason; quarter and exit reason as breakdowns. 3: episodes (a person who left comes back on the same
# file): entries count episodes started (intakes and re-openings), returns count re-openings.
VERSION = 3

B, E, C, M = "be.mire.beneficiary.", "be.mire.employer.", "be.mire.convention.", "be.mire.matching."

# Event types reporting knows, code = position + 1 (0: a fact no indicator uses).
TYPES: tuple[str, ...] = (
    B + "registered.v1",
    B + "stage_changed.v1",
    B + "contract_signed.v1",
    B + "employment_confirmed_6m.v1",
    B + "employment_not_confirmed_6m.v1",
    B + "dropped_out.v1",
    B + "exited.v1",
    B + "assessed.v1",
    B + "plan_agreed.v1",
    E + "vacancy_opened.v1",
    E + "vacancy_filled.v1",
    E + "vacancy_closed.v1",
    C + "signed.v1",
    C + "commitment_evaluated.v1",
    C + "trainee_hired.v1",
    M + "proposal_made.v1",
    M + "proposal_hired.v1",
    B + "reopened.v1",
)
TYPE_CODE = {t: i + 1 for i, t in enumerate(TYPES)}

# Which date of a fact places it in a period: the first of these data fields present
# (a full date, or a month for sector events that carry only a month), else the event's time.
FACT_DATES: dict[str, tuple[str, ...]] = {
    B + "registered.v1": ("registered_on", "registered_month"),
    B + "reopened.v1": ("started_on", "month"),
    B + "contract_signed.v1": ("signed_on", "month"),
    B + "employment_confirmed_6m.v1": ("checked_on", "month"),
    B + "employment_not_confirmed_6m.v1": ("checked_on", "month"),
    M + "proposal_made.v1": ("at",),
    M + "proposal_hired.v1": ("at",),
}
DEFAULT_DATES = ("on", "signed_on", "month")

# Qualifiers some definitions filter on: (data field, value when the field is absent).
# Sector vacancy events exist only for the Mission's own prospection, so they carry no source.
TAGS: dict[str, tuple[str, str]] = {
    C + "commitment_evaluated.v1": ("outcome", ""),
    E + "vacancy_opened.v1": ("source", "mission"),
    B + "exited.v1": ("reason", ""),
}
# Why a path ended (the beneficiary service's exit reasons): the exits' qualifier, and a breakdown of them.
EXIT_REASONS = ("durable_employment", "training_elsewhere", "moved", "end_of_accompaniment", "other")
TAG_VALUES = ("", "fulfilled", "partly", "not", "mission", "forem", *EXIT_REASONS)
TAG_CODE = {t: i for i, t in enumerate(TAG_VALUES)}

GENDERS = ("unknown", "F", "M", "X")
AGE_BANDS = ("unknown", "under_25", "25_to_49", "50_plus")
# Target groups are a set per person: bit ``i`` of the stored mask is TARGET_GROUPS[i].
TARGET_GROUPS = (
    "low_qualification",
    "long_term_unemployed",
    "disability",
    "social_aid",
    "neet_youth",
    "refugee_newcomer",
    "justice_measure",
    "single_parent",
    "priority_neighbourhood",
)
NO_TARGET_GROUP = "none"

PERSON_DIMENSIONS = ("target_group", "age_band", "gender", "municipality")
SITE_DIMENSIONS = ("mission", "basin")
# The quarter of the year a fact is dated in: a breakdown of a year's figures (a quarter has one).
QUARTER = "quarter"
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
EXIT_REASON = "exit_reason"
DIMENSIONS = PERSON_DIMENSIONS + SITE_DIMENSIONS + (QUARTER,)
YOUTH_GUARANTEE_AGE_BAND = "under_25"

# What an indicator counts. A person who leaves and comes back has one file and several episodes (an intake,
# then a re-opening for each return): PERSONS counts the person once however many episodes the period holds;
# ACTS counts each fact, so an indicator of episodes (entries, returns) counts each one started.
PERSONS, ENTITIES, ACTS = "persons", "entities", "acts"


@dataclass(frozen=True)
class Indicator:
    name: str
    title: str
    counts: str  # PERSONS, ENTITIES or ACTS
    types: tuple[str, ...]
    description: str
    modes: tuple[str, ...] = ("mission", "sector")
    tag: str | None = None  # only facts whose qualifier is this value
    first_only: bool = False  # only each person's first such fact ever
    dimensions: tuple[str, ...] = DIMENSIONS
    headline: bool = False
    since_version: int = 1

    @property
    def date_rule(self) -> dict[str, tuple[str, ...]]:
        return {t: FACT_DATES.get(t, DEFAULT_DATES) for t in self.types}

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "counts": self.counts,
            "description": self.description,
            "event_types": list(self.types),
            "qualifier": self.tag,
            "first_only": self.first_only,
            "dated_by": {t: list(d) for t, d in self.date_rule.items()},
            "modes": list(self.modes),
            "dimensions": list(self.dimensions),
            "headline": self.headline,
            "since_version": self.since_version,
        }


PATH_FACTS = (
    B + "registered.v1",
    B + "stage_changed.v1",
    B + "contract_signed.v1",
    B + "employment_confirmed_6m.v1",
    B + "employment_not_confirmed_6m.v1",
    B + "dropped_out.v1",
    B + "exited.v1",
    B + "reopened.v1",
)
# An episode starts at intake or at a re-opening of a closed file.
EPISODE_STARTS = (B + "registered.v1", B + "reopened.v1")
SITE_ONLY = SITE_DIMENSIONS + (QUARTER,)
VACANCY_DIMENSIONS = SITE_DIMENSIONS + ("municipality", QUARTER)

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "people_accompanied",
        "People accompanied",
        PERSONS,
        PATH_FACTS,
        "Distinct persons with at least one fact of their path (entry, return, stage, contract, follow-up, "
        "drop-out, exit) dated in the period: a person counts once however many episodes (returns after an "
        "exit or a drop-out) the period holds.",
        headline=True,
    ),
    Indicator(
        "first_contracts",
        "First contracts signed",
        PERSONS,
        (B + "contract_signed.v1",),
        "Distinct persons whose first contract ever signed since entry is dated (signature date) in the period: "
        "a person who comes back and signs again in a later episode is not counted again.",
        first_only=True,
        headline=True,
    ),
    Indicator(
        "employed_after_6_months",
        "Still employed after six months",
        PERSONS,
        (B + "employment_confirmed_6m.v1",),
        "Distinct persons confirmed still employed six months after their contract, dated by the check.",
        headline=True,
    ),
    Indicator(
        "entries",
        "Entries",
        ACTS,
        EPISODE_STARTS,
        "Episodes of accompaniment started, dated by their start: each intake, and each re-opening of a closed "
        "file for a person who comes back (a person who comes back once counts twice; until catalogue version 3, "
        "distinct persons entered).",
    ),
    Indicator(
        "returns",
        "Returns",
        ACTS,
        (B + "reopened.v1",),
        "Re-openings of a closed file (exited or dropped out) for a person who comes back: episodes started "
        "after the first, dated by their start.",
        since_version=3,
    ),
    Indicator(
        "dropouts",
        "Drop-outs",
        ACTS,
        (B + "dropped_out.v1",),
        "Drop-outs recorded (a person who drops out twice counts twice), dated by the drop-out.",
    ),
    Indicator(
        "exits",
        "Exits by reason",
        ACTS,
        (B + "exited.v1",),
        "Paths ended (a person who comes back and exits again counts twice), dated by the exit, by the reason "
        "recorded (durable employment, training elsewhere, moved, end of accompaniment, other).",
        dimensions=(EXIT_REASON, *DIMENSIONS),
        headline=True,
        since_version=2,
    ),
    Indicator(
        "conventions_signed",
        "Conventions signed",
        ENTITIES,
        (C + "signed.v1",),
        "Distinct conventions (employer and training operator) fully signed in the period.",
        dimensions=SITE_ONLY,
    ),
    Indicator(
        "commitments_fulfilled",
        "Employer commitments fulfilled",
        ENTITIES,
        (C + "commitment_evaluated.v1",),
        "Distinct employer conventions whose hiring commitment was evaluated as fulfilled.",
        tag="fulfilled",
        dimensions=SITE_ONLY,
    ),
    Indicator(
        "vacancies_prospected",
        "Vacancies prospected",
        ENTITIES,
        (E + "vacancy_opened.v1",),
        "Distinct vacancies from the Mission's own prospection opened in the period (Le Forem's imported "
        "offers excluded).",
        tag="mission",
        dimensions=VACANCY_DIMENSIONS,
    ),
    Indicator(
        "vacancies_filled",
        "Posts filled",
        ACTS,
        (E + "vacancy_filled.v1",),
        "Posts of vacancies filled by a beneficiary, one per post.",
        dimensions=VACANCY_DIMENSIONS,
    ),
    Indicator(
        "proposals",
        "Proposals",
        ACTS,
        (M + "proposal_made.v1",),
        "Proposals of a person for a vacancy (matching), dated when made.",
        modes=("mission",),
    ),
    Indicator(
        "hires",
        "Hires from proposals",
        ACTS,
        (M + "proposal_hired.v1",),
        "Proposals that ended in a hire, dated by the hire.",
        modes=("mission",),
    ),
)
BY_NAME = {i.name: i for i in INDICATORS}
HEADLINE = tuple(i.name for i in INDICATORS if i.headline)


@dataclass(frozen=True)
class Catalogue:
    version: int = VERSION
    indicators: tuple[Indicator, ...] = field(default=INDICATORS)

    def for_mode(self, mode: str) -> list[Indicator]:
        return [i for i in self.indicators if mode in i.modes]

    def describe(self, mode: str) -> dict:
        return {"version": self.version, "indicators": [i.describe() for i in self.for_mode(mode)]}


CATALOGUE = Catalogue()
