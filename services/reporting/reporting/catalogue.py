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

It is also the measure of what InterMire may receive (data minimisation):
each indicator reads the event fields its unit, date, qualifier and
breakdowns name (``Indicator.reads``), a special category of personal data
is read only by the indicators that name the legal basis covering it
(``Indicator.legal_bases``), and ``sector_needs`` derives from them, per
sector event type, the fields a Mission sends. The sector contract
(``contracts.sector``) is held to exactly that by ``tests/unit/test_sector_minimisation.py``,
and ``docs/record-of-processing.md`` is written from it (``reporting.record``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts import sector

# 2: exits by reason; quarter and exit reason as breakdowns. 3: episodes (a person who left comes back on the same
# file): entries count episodes started (intakes and re-openings), returns count re-openings. 4: orientations to
# partners' services and their outcomes, by partner type (in the Mission only).
VERSION = 4

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
    # No indicator counts a correction: it carries a person's corrected codes to their later facts (mission
    # mode, ``engine.join_person_dimensions``).
    B + "corrected.v1",
    B + "reopened.v1",
    B + "orientation_made.v1",
    B + "orientation_outcome.v1",
)
CORRECTED = B + "corrected.v1"
TYPE_CODE = {t: i + 1 for i, t in enumerate(TYPES)}

# Which date of a fact places it in a period: the first of these data fields present
# (a full date, or a month for sector events that carry only a month), else the event's time.
FACT_DATES: dict[str, tuple[str, ...]] = {
    B + "registered.v1": ("registered_on", "registered_month"),
    B + "reopened.v1": ("started_on", "month"),
    B + "orientation_made.v1": ("made_on",),
    B + "orientation_outcome.v1": ("on",),
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

# Orientations to a partner's service: the partner's type (the employer service's partner directory) and, for an
# outcome, which one. Both travel in one fact's qualifier (``orientation_tag``): the partner type's code in the
# low bits, the outcome's above; 0 in either is "unknown" (a code this catalogue does not know yet).
ORIENTATION_MADE, ORIENTATION_OUTCOME = B + "orientation_made.v1", B + "orientation_outcome.v1"
ORIENTATION_FACTS = (ORIENTATION_MADE, ORIENTATION_OUTCOME)
PARTNER_TYPE, OUTCOME = "partner_type", "orientation_outcome"
PARTNER_TYPES = sector.PARTNER_TYPES  # append only (the contract says why)
ORIENTATION_OUTCOMES = ("attended", "done", "not_taken_up", "cancelled")
PARTNER_TYPE_BITS = 5  # room for 31 partner types


def orientation_tag(partner_type: object, outcome: object = None) -> int:
    """An orientation fact's qualifier: its partner type and outcome codes (each position + 1, 0 unknown)."""
    kind = PARTNER_TYPES.index(partner_type) + 1 if partner_type in PARTNER_TYPES else 0
    done = ORIENTATION_OUTCOMES.index(outcome) + 1 if outcome in ORIENTATION_OUTCOMES else 0
    return done << PARTNER_TYPE_BITS | kind


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
    # (special-category target group, the legal basis under which this indicator counts it at InterMire);
    # a special group no sector indicator names here never leaves its Mission (``SPECIAL_CATEGORIES``).
    legal_bases: tuple[tuple[str, str], ...] = ()

    def reads(self, event_type: str) -> frozenset[str]:
        """The data fields of ``event_type``'s sector form this indicator reads: its unit, the date that places
        the fact in a period, its qualifier and the field behind each breakdown."""
        fields = {SECTOR_DATES.get(event_type, SECTOR_DATE)}
        if self.counts == PERSONS:
            fields.add("pseudonym")
        elif self.counts == ENTITIES:
            fields.update(envelope(event_type))
        tag = TAGS.get(event_type)
        # A qualifier whose absent field reads as the value counted needs no field: the sector form of such a
        # fact exists only when it qualifies (a Mission sends InterMire its own prospection only).
        if self.tag is not None and tag is not None and tag[1] != self.tag:
            fields.add(tag[0])
        fields.update(f for d in self.dimensions if (f := DIMENSION_FIELDS[d]) is not None)
        return frozenset(fields)

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


# -- What InterMire needs: the fields each sector event carries, derived from the indicators -----------------
# The event field behind each breakdown; None: the Mission and its basin come from the event's source, the
# quarter from the fact's date.
DIMENSION_FIELDS: dict[str, str | None] = {
    "target_group": "target_groups",
    "age_band": "age_band",
    "gender": "gender",
    "municipality": "municipality",
    EXIT_REASON: "reason",
    PARTNER_TYPE: "partner_type",
    OUTCOME: "outcome",
    "mission": None,
    "basin": None,
    QUARTER: None,
}
# What every sector fact of a family carries, whichever indicator reads it: whom or what it is about. A person
# travels as the pseudonym and the id of the sector key that made it (InterMire follows a person across a key
# rotation and forgets them on erasure by it).
ENVELOPES: dict[str, tuple[str, ...]] = {
    B: ("pseudonym", "pseudonym_key"),
    E + "vacancy_": ("vacancy_id",),
    C: ("convention_id",),
}
# The one field that dates a sector fact: a month (InterMire publishes months, quarters and years, never days),
# named ``month`` unless listed here. Each is one of the fields the type's date rule reads (FACT_DATES).
SECTOR_DATE = "month"
SECTOR_DATES: dict[str, str] = {B + "registered.v1": "registered_month"}
# Sector events InterMire needs for its own bookkeeping rather than for a figure, with every field they carry.
SECTOR_PROTOCOL: dict[str, tuple[str, ...]] = {
    # a sector key rotation: the same person under two pseudonyms (reporting.rekey)
    B + "pseudonym_rekeyed.v1": ("previous_pseudonym", "pseudonym", "pseudonym_key"),
    # an erasure: the pseudonym forgotten, its facts kept as residue (reporting.forget)
    B + "forgotten.v1": ("pseudonym", "pseudonym_key", "erased_month"),
    # which Missions submitted and approved their figures for a period (reporting.submissions)
    "be.mire.reporting.period_submitted.v1": (
        "period",
        "version",
        "catalogue_version",
        "submitted_on",
        "correction",
        "changed",
    ),
    "be.mire.reporting.period_approved.v1": ("period", "version", "approved_on"),
    # the partner organisations a Mission shares, and their services (reporting.directory): no person
    "be.mire.employer.partner_published.v1": (
        "partner_id",
        "revision",
        "name",
        "partner_type",
        "municipalities",
        "contact",
        "services",
    ),
    "be.mire.employer.partner_unpublished.v1": ("partner_id", "revision"),
}

# Target groups that are special categories of personal data. Such a group reaches InterMire only in the sector
# events of an indicator that names the legal basis covering it (``Indicator.legal_bases``); the others travel
# wherever an indicator breaks down by target group.
SPECIAL_CATEGORIES: dict[str, str] = {
    "disability": "data concerning health (GDPR art. 9)",
    "justice_measure": "personal data relating to criminal convictions and offences or related security "
    "measures (GDPR art. 10)",
}
DISABILITY_BASIS = (
    "Funders' reporting: 'participants with disabilities' is a common indicator of the European Social Fund "
    "Plus (Regulation (EU) 2021/1057, Annex I) that the Missions report through InterMire; GDPR art. 9(2)(g) "
    "(substantial public interest, on the basis of Union law), counted only, under a pseudonym, small cells "
    "protected. To be confirmed by the Missions' data-protection officers."
)


def envelope(event_type: str) -> tuple[str, ...]:
    """The fields every sector fact of ``event_type``'s family carries (``ENVELOPES``)."""
    return next((fields for prefix, fields in ENVELOPES.items() if event_type.startswith(prefix)), ())


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
        legal_bases=(("disability", DISABILITY_BASIS),),
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
        legal_bases=(("disability", DISABILITY_BASIS),),
    ),
    Indicator(
        "employed_after_6_months",
        "Still employed after six months",
        PERSONS,
        (B + "employment_confirmed_6m.v1",),
        "Distinct persons confirmed still employed six months after their contract, dated by the check.",
        headline=True,
        legal_bases=(("disability", DISABILITY_BASIS),),
    ),
    Indicator(
        "entries",
        "Entries",
        ACTS,
        EPISODE_STARTS,
        "Episodes of accompaniment started, dated by their start: each intake, and each re-opening of a closed "
        "file for a person who comes back (a person who comes back once counts twice; until catalogue version 3, "
        "distinct persons entered).",
        legal_bases=(("disability", DISABILITY_BASIS),),
    ),
    Indicator(
        "returns",
        "Returns",
        ACTS,
        (B + "reopened.v1",),
        "Re-openings of a closed file (exited or dropped out) for a person who comes back: episodes started "
        "after the first, dated by their start.",
        since_version=3,
        legal_bases=(("disability", DISABILITY_BASIS),),
    ),
    Indicator(
        "dropouts",
        "Drop-outs",
        ACTS,
        (B + "dropped_out.v1",),
        "Drop-outs recorded (a person who drops out twice counts twice), dated by the drop-out.",
        legal_bases=(("disability", DISABILITY_BASIS),),
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
        legal_bases=(("disability", DISABILITY_BASIS),),
    ),
    # Orientations are the Mission's own management figures: InterMire receives none (what a person was oriented
    # to, a health or social service, a CPAS, says more about them than a count of the sector needs).
    Indicator(
        "orientations",
        "Orientations to partners",
        ACTS,
        (ORIENTATION_MADE,),
        "Orientations of a person to a partner's service (from the Mission's partner directory), dated when made, "
        "by the partner's type.",
        modes=("mission",),
        dimensions=(PARTNER_TYPE, *DIMENSIONS),
        since_version=4,
    ),
    Indicator(
        "orientation_outcomes",
        "Outcomes of orientations to partners",
        ACTS,
        (ORIENTATION_OUTCOME,),
        "Outcomes recorded for orientations to partners' services (attended, done, not taken up, cancelled), "
        "dated by the outcome, by outcome and partner type: an orientation attended, then done, counts once in "
        "each.",
        modes=("mission",),
        dimensions=(OUTCOME, PARTNER_TYPE, *DIMENSIONS),
        since_version=4,
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


def sector_needs(catalogue: Catalogue = CATALOGUE) -> dict[str, frozenset[str]]:
    """Per sector event type, the data fields InterMire needs: the envelope of its family and what every sector
    indicator that counts it reads; for InterMire's bookkeeping events, their ``SECTOR_PROTOCOL`` fields.

    A type absent from the answer is one InterMire does not need: a Mission does not send it.
    """
    needs: dict[str, set[str]] = {t: set(fields) for t, fields in SECTOR_PROTOCOL.items()}
    for ind in catalogue.for_mode("sector"):
        for t in ind.types:
            needs.setdefault(t, set(envelope(t))).update(ind.reads(t))
    return {t: frozenset(fields) for t, fields in needs.items()}


def sector_target_groups(event_type: str, catalogue: Catalogue = CATALOGUE) -> frozenset[str]:
    """The target groups ``event_type``'s sector form may carry: none unless a sector indicator counting it
    breaks down by target group; then every group but the special categories, and each special category that
    one of those indicators names a legal basis for."""
    indicators = [i for i in catalogue.for_mode("sector") if event_type in i.types and "target_group" in i.dimensions]
    if not indicators:
        return frozenset()
    special = {group for i in indicators for group, _ in i.legal_bases}
    return frozenset(g for g in TARGET_GROUPS if g not in SPECIAL_CATEGORIES or g in special)


def sector_groups(catalogue: Catalogue = CATALOGUE) -> tuple[str, ...]:
    """The target groups that are values of InterMire's target-group breakdown: every group but the special
    categories, and each special category a sector indicator names a legal basis for. Another special category
    never leaves its Mission, so a column of it at InterMire would always be empty: it is not shown at all."""
    based = {group for i in catalogue.for_mode("sector") for group, _ in i.legal_bases}
    return tuple(g for g in TARGET_GROUPS if g not in SPECIAL_CATEGORIES or g in based)


def legal_bases(catalogue: Catalogue = CATALOGUE) -> dict[str, dict[str, str]]:
    """Special category → {indicator: the legal basis under which it counts it at InterMire}."""
    out: dict[str, dict[str, str]] = {}
    for ind in catalogue.for_mode("sector"):
        for group, basis in ind.legal_bases:
            out.setdefault(group, {})[ind.name] = basis
    return out


def minimal(event_type: str, data: dict) -> dict | None:
    """``data`` cut to what InterMire needs of ``event_type`` (None: a type it does not need at all).

    InterMire's own guard: what a Mission on an older contract still sends beyond the needs is not kept.
    """
    needed = SECTOR_NEEDS.get(event_type)
    if needed is None:
        return None
    kept = {k: v for k, v in data.items() if k in needed}
    if "target_groups" in kept:
        allowed = sector_target_groups(event_type)
        kept["target_groups"] = [g for g in kept["target_groups"] or () if g in allowed]
    return kept


SECTOR_NEEDS = sector_needs()
