"""Reporting's use cases, without nameko: what each RPC and event handler does, given the site's database
(``kit.db.Database``'s ``session()`` / ``transaction()``), its fact log and the caller.

``reporting.service`` (mission mode) and ``reporting.sector`` (sector mode) are the wiring: they authorise
the caller, then call these. Recording facts (the handlers' part) is here too, so a test or a replay can
drive it without a container.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from contracts import internal, sector
from contracts.catalogue import load
from contracts.envelope import Event
from contracts.payloads import build
from kit import outbox
from kit.actor import Actor
from kit.db import Database
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.registry import load as load_registry
from kit.work import Deadline
from reporting import cache, exports, publication, rekey, submissions
from reporting import catalogue as cat
from reporting.engine import Facts, breakdown, load_mission, load_sector
from reporting.ingest import anonymous_key, codes, key64
from reporting.models import (
    EmployerFact,
    Entry,
    ErasedSubject,
    Fact,
    MergedSubject,
    SectorAlias,
    SectorEntry,
    SectorFact,
    SectorSubmission,
    Submission,
)
from reporting.periods import Period, parse

ERASED = internal.BeneficiaryErasedV1.TYPE
MERGED = internal.BeneficiaryMergedV1.TYPE
Answer = dict[str, Any]


# -- names and modes -----------------------------------------------------------------------------------------
def fact_month(event: Event) -> str:
    """The month a fact belongs to: its own date when it has one, else when it was published."""
    data = event.data
    for key in ("on", "signed_on", "registered_on", "assessed_on", "checked_on", "registered_month", "month"):
        if isinstance(data.get(key), str) and len(data[key]) >= 7:
            return data[key][:7]
    return event.time[:7]


def indicator_named(name: object, field: str = "indicator") -> cat.Indicator:
    ind = cat.BY_NAME.get(name) if isinstance(name, str) else None
    if ind is None:
        raise ValidationFailed({field: [f"unknown indicator; one of {sorted(cat.BY_NAME)}"]})
    return ind


def check_mode(ind: cat.Indicator, mode: str) -> cat.Indicator:
    if mode not in ind.modes:
        raise ValidationFailed({"indicator": [f"{ind.name} is not computed in {mode} mode"]})
    return ind


def basin_of(site: str) -> str:
    try:
        return load_registry().site(site).basin or ""
    except Exception:  # a test registry without the site: the basin is only a label
        return ""


# -- reading -------------------------------------------------------------------------------------------------
def mission_facts(db: Database, site: str) -> Facts:
    """The Mission's fact log as the indicators read it: read again only once a fact was logged since
    (``reporting.cache``)."""

    def read() -> Facts:
        with db.session() as session:
            return load_mission(session, Fact, site, basin_of(site))

    return cache.facts(site, read)


def sector_facts(db: Database, site: str, missions: Callable[[], list[tuple[str, str]]]) -> Facts:
    """InterMire's fact log as the sector indicators read it (the ``missions``' (code, basin) asked only when it
    is read again), one person across a key rotation (``reporting.rekey``)."""

    def read() -> Facts:
        with db.session() as session:
            return load_sector(session, SectorFact, missions(), rekey.person_aliases(session))

    return cache.facts(site, read)


def sector_indicators(session: Session) -> Answer:
    """Entries per Mission, and distinct people sector-wide (a person followed twice counts once)."""
    alias = aliased(SectorAlias)
    person = func.coalesce(alias.pseudonym, SectorEntry.pseudonym)  # one person across a key rotation
    people = session.scalar(
        select(func.count(func.distinct(person)))
        .select_from(SectorEntry)
        .outerjoin(alias, alias.previous == SectorEntry.pseudonym)
    )
    # Read after the people: entries are only added, so under read committed (each statement its own snapshot)
    # an answer never counts a person whose entry it does not show.
    per_mission = dict(session.execute(select(SectorEntry.mission, func.count()).group_by(SectorEntry.mission)).all())
    headline = {}
    for name, type_ in (
        ("first_contracts", "contract_signed"),
        ("employed_after_6_months", "employment_confirmed_6m"),
    ):
        headline[name] = session.scalar(
            select(func.count(func.distinct(func.coalesce(alias.pseudonym, SectorFact.pseudonym))))
            .select_from(SectorFact)
            .outerjoin(alias, alias.previous == SectorFact.pseudonym)
            .where(SectorFact.type == f"be.mire.beneficiary.{type_}.v1")
        )
    return {"entries_by_mission": per_mission, "people": people, **headline}


def counts(db: Database) -> Answer:
    """Counts so far: people entered, employers registered, facts logged per type."""
    with db.session() as session:
        by_type = dict(session.execute(select(Fact.type, func.count()).group_by(Fact.type)).all())
        return {
            "entries": session.scalar(select(func.count()).select_from(Entry)),
            "employers": session.scalar(select(func.count()).select_from(EmployerFact)),
            "facts": {t.split(".")[3]: n for t, n in sorted(by_type.items())},
        }


def indicator(facts: Facts, name: object, period: object, by: object = None) -> Answer:
    """One indicator of the Mission for one period, exact, optionally broken down by one dimension."""
    ind = check_mode(indicator_named(name), "mission")
    p = parse(period)
    if by is not None and (not isinstance(by, str) or by not in ind.dimensions or by == "mission"):
        raise ValidationFailed({"by": [f"{ind.name} is not broken down by {by!r}"]})
    result = breakdown(facts, ind, p, by)
    return {"indicator": ind.name, "period": p.label, "by": by, "catalogue_version": cat.VERSION, **result}


def headline(facts: Facts, period: object) -> Answer:
    p = parse(period)
    totals = {i.name: breakdown(facts, i, p, None)["total"] for i in cat.CATALOGUE.for_mode("mission")}
    return {"period": p.label, "catalogue_version": cat.VERSION, "indicators": totals}


def published(
    site: str,
    facts: Facts,
    mode: str,
    name: object,
    period: object,
    columns: object,
    deadline: Deadline,
    rows: object = None,
) -> Answer:
    """A published table (small cells protected), by one breakdown (``columns``; the sector's rows are the
    Missions) or two (``rows`` × ``columns``), computed once per data version (``reporting.cache``)."""
    ind = check_mode(indicator_named(name), mode)
    p = parse(period)
    down = _breakdown_name("rows", "mission" if mode == "sector" and rows is None else rows)
    across = _breakdown_name("columns", columns)
    table = publication.mission_table if mode == "mission" else publication.sector_table
    return cache.publication(
        site,
        publication.cache_key(facts, ind, p, across, mode, down),
        lambda: table(facts, ind, p, across, rows=down),
        deadline,
    )


def _breakdown_name(field: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({field: ["a breakdown's name is expected"]})
    return value


def export(site: str, facts: Facts, mode: str, period: object, fmt: object, deadline: Deadline) -> Answer:
    """The published figures for funders, CSV, XLSX or PDF (base64), with the Youth Guarantee and ESF+ tables."""
    fmt = exports.check_format(fmt)
    p = publication.publishable(parse(period))
    scope = site if mode == "mission" else "sector"
    rows = _published_rows(site, facts, mode, p, deadline)
    name = f"{site}-indicators-{p.label}" if mode == "mission" else f"intermire-indicators-{p.label}"
    if fmt != "pdf":
        return exports.render(fmt, rows, name, mode)
    before = parse(str(p.year - 1) + p.label[4:])  # the same period a year earlier
    earlier: dict[str, Any] = {"_period": before.label}
    for ind in cat.CATALOGUE.for_mode(mode):
        if ind.headline:
            deadline.check()
            earlier[ind.name] = _published_total(site, facts, mode, ind, before, scope, deadline)
    title = (
        f"InterMire - chiffres du secteur, {p.label}"
        if mode == "sector"
        else f"{site.upper()} - chiffres publiés, {p.label}"
    )
    return exports.render(fmt, rows, name, mode, title=title, earlier=earlier)


def _published_rows(site: str, facts: Facts, mode: str, p: Period, deadline: Deadline) -> list[tuple[Any, ...]]:
    table = publication.mission_table if mode == "mission" else publication.sector_table
    scope = site if mode == "mission" else "sector"
    rows: list[tuple[Any, ...]] = []
    for ind in cat.CATALOGUE.for_mode(mode):
        for columns in exports.export_breakdowns(ind):
            deadline.check()  # between tables, the cached ones too
            try:
                published_table = cache.publication(
                    site,
                    publication.cache_key(facts, ind, p, columns, mode),
                    lambda ind=ind, columns=columns: table(facts, ind, p, columns),
                    deadline,
                )
            except ValidationFailed:
                rows.append(exports.below_threshold(scope, ind.name, p.label, columns))
                continue
            rows += exports.records(scope, published_table)
    return rows


def _published_total(
    site: str, facts: Facts, mode: str, ind: cat.Indicator, p: Period, scope: str, deadline: Deadline
) -> int | str | None:
    """An indicator's published total for a period: its value, ``"c"`` when protected, None when nothing of it
    can be published."""
    table = publication.mission_table if mode == "mission" else publication.sector_table
    try:
        found = cache.publication(
            site, publication.cache_key(facts, ind, p, None, mode), lambda: table(facts, ind, p, None), deadline
        )
    except ValidationFailed:
        return None
    block = found if mode == "mission" else found["sector"]
    return exports.HIDDEN if block["total"] is None else block["total"]


# -- submissions ---------------------------------------------------------------------------------------------
def submit_period(
    db: Database, facts: Facts, actor: Actor, period: object, reason: object = None, source: str | None = None
) -> Answer:
    """Submit the Mission's figures for a period; a correction of an approved period needs a reason.

    With ``source`` (the service's event source), InterMire is told in the same transaction: the version, and
    which figures differ from the approved one (names only: the values stay in the Mission)."""
    p = parse(period)
    if reason is not None and (not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500):
        raise ValidationFailed({"reason": ["3 to 500 characters"]})
    figures = submissions.figures(facts, p)
    with db.transaction() as session:
        versions = session.scalars(
            select(Submission).where(Submission.period == p.label).order_by(Submission.version)
        ).all()
        pending = [s for s in versions if s.status == submissions.SUBMITTED]
        if pending:
            raise Conflict(
                f"period {p.label} has a submission awaiting approval (version {pending[-1].version})",
                existing=pending[-1].id,
            )
        approved = [s for s in versions if s.status == submissions.APPROVED]
        if approved and reason is None:
            raise Conflict(
                f"period {p.label} is approved and locked (version {approved[-1].version}); "
                "a correction needs a reason",
                existing=approved[-1].id,
            )
        row = Submission(
            id=str(uuid.uuid4()),
            period=p.label,
            version=len(versions) + 1,
            status=submissions.SUBMITTED,
            catalogue_version=cat.VERSION,
            figures=figures,
            diff=submissions.diff(approved[-1].figures, figures) if approved else None,
            reason=reason,
            submitted_by=actor.sub,
            submitted_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        if source is not None:
            payload = sector.PeriodSubmittedV1(
                period=row.period,
                version=row.version,
                catalogue_version=row.catalogue_version,
                submitted_on=row.submitted_at.date(),
                correction=bool(approved),
                changed=submissions.changed(row.diff),
            )
            outbox.add(session, build(payload, source=source, subject=row.period))
        return submissions.view(row)


def approve_submission(
    db: Database, actor: Actor, period: object, version: object, source: str | None = None
) -> Answer:
    """Approve a submitted version: it becomes the period's frozen snapshot (never by its submitter); with
    ``source``, InterMire is told in the same transaction."""
    p = parse(period)
    with db.transaction() as session:
        row = session.scalar(select(Submission).where(Submission.period == p.label, Submission.version == version))
        if row is None:
            raise NotFound("submission", f"{p.label} v{version}")
        if row.status != submissions.SUBMITTED:
            raise Conflict(f"version {version} of {p.label} is {row.status}, not awaiting approval", existing=row.id)
        if row.submitted_by == actor.sub:
            raise Conflict("a submission is approved by someone other than its submitter", existing=row.id)
        session.execute(
            update(Submission)
            .where(Submission.period == p.label, Submission.status == submissions.APPROVED)
            .values(status=submissions.SUPERSEDED)
        )
        row.status, row.approved_by, row.approved_at = submissions.APPROVED, actor.sub, datetime.now(UTC)
        if source is not None:
            payload = sector.PeriodApprovedV1(
                period=row.period, version=row.version, approved_on=row.approved_at.date()
            )
            outbox.add(session, build(payload, source=source, subject=row.period))
        return submissions.view(row)


def get_submission(db: Database, period: object, version: object = None) -> Answer:
    """A period's submission: the given version, or the approved one, or the latest."""
    p = parse(period)
    with db.session() as session:
        rows = session.scalars(
            select(Submission).where(Submission.period == p.label).order_by(Submission.version)
        ).all()
        if version is not None:
            rows = [r for r in rows if r.version == version]
        else:
            rows = [r for r in rows if r.status == submissions.APPROVED] or rows
        if not rows:
            raise NotFound("submission", p.label if version is None else f"{p.label} v{version}")
        return submissions.view(rows[-1])


def list_submissions(db: Database) -> list[Answer]:
    """Every submission of the Mission, newest period first, without the figures."""
    with db.session() as session:
        rows = session.scalars(select(Submission).order_by(Submission.period.desc(), Submission.version)).all()
        return [{k: v for k, v in submissions.view(r).items() if k not in ("figures",)} for r in rows]


# -- InterMire: which Missions have submitted ----------------------------------------------------------------
def record_sector_submission(session: Session, event: Event, mission: str) -> None:
    """A Mission's submission or approval, as InterMire keeps it (in any order: an approval may come first)."""
    d: sector.PeriodSubmittedV1 | sector.PeriodApprovedV1 = load(event)
    row = session.get(SectorSubmission, (mission, d.period, d.version))
    if row is None:
        row = SectorSubmission(mission=mission, period=d.period, version=d.version, status=submissions.SUBMITTED)
        session.add(row)
    if isinstance(d, sector.PeriodSubmittedV1):
        row.catalogue_version, row.correction = d.catalogue_version, d.correction
        row.changed, row.submitted_on = list(d.changed), d.submitted_on.isoformat()
    else:
        row.status, row.approved_on = submissions.APPROVED, d.approved_on.isoformat()
        session.flush()
        for earlier in session.scalars(
            select(SectorSubmission).where(
                SectorSubmission.mission == mission,
                SectorSubmission.period == d.period,
                SectorSubmission.status == submissions.APPROVED,
                SectorSubmission.version != d.version,
            )
        ).all():
            earlier.status = submissions.SUPERSEDED


def sector_submissions(db: Database, missions: list[str], period: object) -> Answer:
    """Each Mission's submissions of a period for InterMire: its status (the latest version's, or ``missing``)
    and every version with the names of the figures it changed."""
    p = parse(period)
    with db.session() as session:
        rows = session.scalars(
            select(SectorSubmission)
            .where(SectorSubmission.period == p.label)
            .order_by(SectorSubmission.mission, SectorSubmission.version)
        ).all()
    return submissions.sector_view(p.label, missions, rows)


# -- recording facts -----------------------------------------------------------------------------------------
def record_entry(session: Session, event: Event) -> None:
    """A person's intake: the dimensions their facts are counted under in the Mission."""
    d = load(event, internal.BeneficiaryRegisteredV1)
    into = merged_among(session, {d.beneficiary_id}).get(d.beneficiary_id)
    if into is not None:  # heard after the merge: the kept file's entry, unless it has one
        if session.get(Entry, into) is None:
            session.add(
                Entry(
                    beneficiary_id=into,
                    month=d.registered_on.strftime("%Y-%m"),
                    municipality=d.municipality,
                    gender=d.gender,
                    age_band=d.age_band,
                )
            )
        return
    session.merge(
        Entry(
            beneficiary_id=d.beneficiary_id,
            month=d.registered_on.strftime("%Y-%m"),
            municipality=d.municipality,
            gender=d.gender,
            age_band=d.age_band,
        )
    )


def record_employer(session: Session, event: Event) -> None:
    d = load(event, internal.EmployerRegisteredV1)
    found = session.get(EmployerFact, d.employer_id)
    if found is None:
        session.add(EmployerFact(employer_id=d.employer_id, month=d.registered_month, nace=d.nace))
    else:
        # A correction handled first (it has a queue of its own) holds the newer sector code: only the month.
        found.month = d.registered_month


def correct_employer(session: Session, event: Event) -> None:
    """An employer's correction: its sector code as it now stands (its registration month does not change)."""
    d = load(event, internal.EmployerCorrectedV1)
    found = session.get(EmployerFact, d.employer_id)
    if found is None:
        # The correction overtook the registration: its month stands in until the registration sets it.
        session.add(EmployerFact(employer_id=d.employer_id, month=event.time[:7], nace=d.nace))
    else:
        found.nace = d.nace


def erased_among(session: Session, subjects: set[str]) -> dict[str, int]:
    """The residue key of each of these people who was erased (one query for a batch)."""
    if not subjects:
        return {}
    found = session.execute(
        select(ErasedSubject.subject, ErasedSubject.residue).where(ErasedSubject.subject.in_(subjects))
    )
    return dict(found.all())


def merged_among(session: Session, subjects: set[str]) -> dict[str, str]:
    """The kept file of each of these references that was a provisional file merged since (one query)."""
    if not subjects:
        return {}
    found = session.execute(
        select(MergedSubject.subject, MergedSubject.into).where(MergedSubject.subject.in_(subjects))
    )
    return dict(found.all())


def record_beneficiary_fact(session: Session, event: Event, subject: str, erased: dict[str, int]) -> None:
    data = {k: v for k, v in event.data.items() if k != "beneficiary_id"}
    # Under ``subject``: the kept file's reference when the fact is about a provisional file merged since.
    coded = codes(event.type, event.data | {"beneficiary_id": subject}, event.time, subject, sector=False)
    if subject in erased:
        coded["person"] = erased[subject]
        subject = "erased"  # a replayed fact of someone erased since stays anonymous
    session.add(Fact(event_id=event.id, type=event.type, subject=subject, month=fact_month(event), data=data, **coded))


def record_other_fact(
    session: Session, event: Event, subject: str | None, erased: dict[str, int], merged: dict[str, str] | None = None
) -> None:
    data = dict(event.data)
    beneficiary = data.get("beneficiary_id")
    if beneficiary and merged and beneficiary in merged:  # a late fact about a merged provisional file
        beneficiary = data["beneficiary_id"] = merged[beneficiary]
    coded = codes(event.type, data, event.time, subject, sector=False)
    if beneficiary and beneficiary in erased:
        data.pop("beneficiary_id")
        coded["person"] = erased[beneficiary]
    session.add(
        Fact(
            event_id=event.id,
            type=event.type,
            subject=subject or event.subject or "unknown",
            month=fact_month(event),
            data=data,
            **coded,
        )
    )


def _fact_subject(event: Event) -> str:
    """Whom a beneficiary-service fact is about: the person, or for a partner's referral the referral (no
    indicator counts referrals yet; their facts are logged under the referral, as kind 0)."""
    data = load(event, (internal.Beneficiary, internal.Referral))
    if isinstance(data, internal.Referral):
        return data.referral_id
    return cast(internal.Beneficiary, data).beneficiary_id


def record_beneficiary_facts(session: Session, events: list[Event]) -> None:
    """A batch of a person's path facts; an erasure makes the person's facts anonymous."""
    # Each fact through its type's payload class (contracts.payloads): one outside the contract is refused.
    subjects = [_fact_subject(event) for event in events]
    merged = merged_among(session, set(subjects))
    erased = erased_among(session, set(subjects) | set(merged.values()))
    for event, subject in zip(events, subjects, strict=True):
        subject = merged.get(subject, subject)  # a replayed fact of a provisional file merged since
        if event.type == ERASED:
            session.flush()  # the person's facts logged earlier in this batch are erased too
            erased[subject] = erase(session, subject, event.id)
        elif event.type == MERGED:
            session.flush()  # the provisional file's facts logged earlier in this batch move too
            merged[subject] = merge(session, subject, load(event, internal.BeneficiaryMergedV1).into)
        else:
            record_beneficiary_fact(session, event, subject, erased)


def record_other_facts(
    session: Session, events: list[Event], subject_of: Callable[[dict[str, Any]], str | None]
) -> None:
    people = {getattr(load(e), "beneficiary_id", None) for e in events}  # each checked against its schema
    named = {p for p in people if isinstance(p, str)}
    merged = merged_among(session, named)
    erased = erased_among(session, named | set(merged.values()))
    for event in events:
        record_other_fact(session, event, subject_of(event.data), erased, merged)


def merge(session: Session, subject: str, into: str) -> str:
    """A provisional file ``subject`` merged into ``into``: its facts are the kept file's person's from now on
    (re-keyed, as InterMire's aliases count them, ``reporting.rekey``), its entry too when the kept file has
    none; returns ``into``. Idempotent: a second merge finds nothing left under ``subject``."""
    session.merge(MergedSubject(subject=subject, into=into))
    session.execute(update(Fact).where(Fact.person == key64(subject)).values(person=key64(into)))
    session.execute(update(Fact).where(Fact.subject == subject).values(subject=into))
    entry = session.get(Entry, subject)
    if entry is not None:
        if session.get(Entry, into) is None:
            session.add(
                Entry(
                    beneficiary_id=into,
                    month=entry.month,
                    municipality=entry.municipality,
                    gender=entry.gender,
                    age_band=entry.age_band,
                )
            )
        session.delete(entry)
    return into


def erase(session: Session, subject: str, event_id: str) -> int:
    """Keep the person's facts as statistical residue under a key that names no one; returns that key."""
    residue = anonymous_key()
    session.merge(ErasedSubject(subject=subject, residue=residue))
    session.execute(update(Fact).where(Fact.person == key64(subject)).values(person=residue))
    session.execute(update(Fact).where(Fact.subject == subject).values(subject="erased"))
    session.execute(
        update(Entry).where(Entry.beneficiary_id == subject).values(beneficiary_id=event_id)
    )  # a key that names no one, within 36
    return residue
