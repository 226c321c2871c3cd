"""Reporting in mission mode: the Mission's own indicators, from its internal events.

Handlers log every fact with its catalogue codes (``reporting.ingest``);
RPCs compute indicators from that log (``reporting.engine``), publish them
with small cells protected (``reporting.publication``), and keep period
submissions: submitted, approved (frozen), corrected by a new version.
"""

import uuid
from datetime import UTC, datetime

from nameko.rpc import rpc
from sqlalchemy import func, select, update

from contracts import internal
from contracts.payloads import load
from kit.actor import Caller
from kit.consumer import event_handler
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.registry import load as load_registry
from kit.service import ServiceBase
from reporting import cache, exports, publication, submissions
from reporting import catalogue as cat
from reporting.engine import breakdown, load_mission
from reporting.ingest import anonymous_key, codes, key64
from reporting.models import EmployerFact, Entry, ErasedSubject, Fact, Submission
from reporting.periods import parse

ERASED = "be.mire.beneficiary.erased.v1"
FACT_BATCH = 500


def fact_month(event) -> str:
    """The month a fact belongs to: its own date when it has one, else when it was published."""
    data = event.data
    for key in ("on", "signed_on", "registered_on", "assessed_on", "checked_on", "registered_month", "month"):
        if isinstance(data.get(key), str) and len(data[key]) >= 7:
            return data[key][:7]
    return event.time[:7]


def indicator_named(name, field: str = "indicator") -> cat.Indicator:
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


class ReportingService(ServiceBase):
    name = "reporting"
    caller = Caller()

    @event_handler("be.mire.beneficiary.registered.v1")
    def on_beneficiary_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            d = load(event, internal.BeneficiaryRegisteredV1)
            session.merge(
                Entry(
                    beneficiary_id=d.beneficiary_id,
                    month=d.registered_on.strftime("%Y-%m"),
                    municipality=d.municipality,
                    gender=d.gender,
                    age_band=d.age_band,
                )
            )

    @event_handler("be.mire.employer.registered.v1")
    def on_employer_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            d = load(event, internal.EmployerRegisteredV1)
            session.merge(EmployerFact(employer_id=d.employer_id, month=d.registered_month, nace=d.nace))

    # The fact log takes every event of the Mission, in batches (FACT_BATCH per transaction): a replay or a
    # busy day must not cost a transaction per event.
    @event_handler("be.mire.beneficiary.*.v1", batch=FACT_BATCH)
    def on_beneficiary_fact(self, events):
        """Log every fact of a person's path; an erasure makes the person's facts anonymous."""
        with self.db.once_each(events) as (session, fresh):
            # Each fact through its type's payload class (contracts.payloads): one outside the contract is refused.
            subjects = [load(event, internal.Beneficiary).beneficiary_id for event in fresh]
            erased = erased_among(session, set(subjects))
            for event, subject in zip(fresh, subjects, strict=True):
                if event.type == ERASED:
                    session.flush()  # the person's facts logged earlier in this batch are erased too
                    erased[subject] = erase(session, subject, event.id)
                else:
                    record_beneficiary_fact(session, event, subject, erased)
        cache.bump(self.site.code)

    @event_handler("be.mire.employer.*.v1", batch=FACT_BATCH)
    def on_employer_fact(self, events):
        """Log every employer-side fact (employers registered, vacancies opened, filled, closed)."""
        self._log_facts(events, lambda d: d.get("vacancy_id") or d.get("employer_id"))

    @event_handler("be.mire.convention.*.v1", batch=FACT_BATCH)
    def on_convention_fact(self, events):
        """Log every convention fact (signed, activated, trainees enrolled and hired, commitments evaluated)."""
        self._log_facts(events, lambda d: d.get("convention_id"))

    @event_handler("be.mire.matching.*.v1", batch=FACT_BATCH)
    def on_matching_fact(self, events):
        """Log every proposal step (made, presented, interview, hired, rejected, withdrawn)."""
        self._log_facts(events, lambda d: d.get("proposal_id"))

    def _log_facts(self, events, subject_of):
        with self.db.once_each(events) as (session, fresh):
            people = {getattr(load(e), "beneficiary_id", None) for e in fresh}  # each checked against its schema
            erased = erased_among(session, {p for p in people if isinstance(p, str)})
            for event in fresh:
                record_other_fact(session, event, subject_of(event.data), erased)
        cache.bump(self.site.code)

    # -- reading ---------------------------------------------------------
    def _facts(self):
        def load():
            with self.db.session() as session:
                return load_mission(session, Fact, self.site.code, basin_of(self.site.code))

        return cache.facts(self.site.code, load)

    @rpc
    def indicators(self):
        """Counts so far: people entered, employers registered, facts logged per type."""
        self.caller.authorize("reporting.read")
        with self.db.session() as session:
            by_type = dict(session.execute(select(Fact.type, func.count()).group_by(Fact.type)).all())
            return {
                "entries": session.scalar(select(func.count()).select_from(Entry)),
                "employers": session.scalar(select(func.count()).select_from(EmployerFact)),
                "facts": {t.split(".")[3]: n for t, n in sorted(by_type.items())},
            }

    @rpc
    def catalogue(self):
        """The indicator catalogue: each definition, its version, what it counts and how it is dated."""
        self.caller.authorize("reporting.read")
        return cat.CATALOGUE.describe("mission")

    @rpc
    def indicator(self, name, period, by=None):
        """One indicator for one period (month, quarter, year), optionally broken down by one dimension.

        The Mission's own staff see their own exact figures; publications (``publication``, exports)
        protect small cells.
        """
        self.caller.authorize("reporting.read")
        ind = check_mode(indicator_named(name), "mission")
        p = parse(period)
        if by is not None and (by not in ind.dimensions or by == "mission"):
            raise ValidationFailed({"by": [f"{ind.name} is not broken down by {by!r}"]})
        result = breakdown(self._facts(), ind, p, by)
        return {"indicator": ind.name, "period": p.label, "by": by, "catalogue_version": cat.VERSION, **result}

    @rpc
    def headline(self, period):
        """Every indicator's total for one period."""
        self.caller.authorize("reporting.read")
        p = parse(period)
        facts = self._facts()
        totals = {i.name: breakdown(facts, i, p, None)["total"] for i in cat.CATALOGUE.for_mode("mission")}
        return {"period": p.label, "catalogue_version": cat.VERSION, "indicators": totals}

    @rpc
    def publication(self, name, period, columns=None):
        """The Mission's published table (a quarter or a year): small cells hidden (``null``)."""
        self.caller.authorize("reporting.read")
        ind = check_mode(indicator_named(name), "mission")
        p = parse(period)
        facts = self._facts()
        return cache.publication(
            self.site.code,
            publication.cache_key(facts, ind, p, columns, "mission"),
            lambda: publication.mission_table(facts, ind, p, columns),
        )

    @rpc
    def export(self, period, format="csv"):  # noqa: A002 - the API's own word
        """The Mission's published figures for funders, as CSV or XLSX (base64), with a Youth Guarantee table."""
        self.caller.authorize("reporting.export")
        fmt = exports.check_format(format)
        p = publication.publishable(parse(period))
        facts = self._facts()
        rows = []
        for ind in cat.CATALOGUE.for_mode("mission"):
            for columns in exports.export_breakdowns(ind):
                try:
                    table = cache.publication(
                        self.site.code,
                        publication.cache_key(facts, ind, p, columns, "mission"),
                        lambda ind=ind, columns=columns: publication.mission_table(facts, ind, p, columns),
                    )
                except ValidationFailed:
                    rows.append(exports.below_threshold(self.site.code, ind.name, p.label, columns))
                    continue
                rows += exports.records(self.site.code, table)
        return exports.render(fmt, rows, f"{self.site.code}-indicators-{p.label}", "mission")

    # -- submissions -----------------------------------------------------
    @rpc
    def submit_period(self, period, reason=None):
        """Submit the Mission's figures for a period; a correction of an approved period needs a reason."""
        actor = self.caller.authorize("reporting.submit")
        p = parse(period)
        if reason is not None and (not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500):
            raise ValidationFailed({"reason": ["3 to 500 characters"]})
        figures = submissions.figures(self._facts(), p)
        with self.db.transaction() as session:
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
            return submissions.view(row)

    @rpc
    def approve_submission(self, period, version):
        """Approve a submitted version: it becomes the period's frozen snapshot."""
        actor = self.caller.authorize("reporting.approve")
        p = parse(period)
        with self.db.transaction() as session:
            row = session.scalar(select(Submission).where(Submission.period == p.label, Submission.version == version))
            if row is None:
                raise NotFound("submission", f"{p.label} v{version}")
            if row.status != submissions.SUBMITTED:
                raise Conflict(
                    f"version {version} of {p.label} is {row.status}, not awaiting approval", existing=row.id
                )
            if row.submitted_by == actor.sub:
                raise Conflict("a submission is approved by someone other than its submitter", existing=row.id)
            session.execute(
                update(Submission)
                .where(Submission.period == p.label, Submission.status == submissions.APPROVED)
                .values(status=submissions.SUPERSEDED)
            )
            row.status, row.approved_by, row.approved_at = submissions.APPROVED, actor.sub, datetime.now(UTC)
            return submissions.view(row)

    @rpc
    def get_submission(self, period, version=None):
        """A period's submission: the given version, or the approved one, or the latest."""
        self.caller.authorize("reporting.read")
        p = parse(period)
        with self.db.session() as session:
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

    @rpc
    def list_submissions(self):
        """Every submission of the Mission, newest period first, without the figures."""
        self.caller.authorize("reporting.read")
        with self.db.session() as session:
            rows = session.scalars(select(Submission).order_by(Submission.period.desc(), Submission.version)).all()
            return [{k: v for k, v in submissions.view(r).items() if k not in ("figures",)} for r in rows]


def erased_among(session, subjects: set[str]) -> dict[str, int]:
    """The residue key of each of these people who was erased (one query for a batch)."""
    if not subjects:
        return {}
    found = session.execute(
        select(ErasedSubject.subject, ErasedSubject.residue).where(ErasedSubject.subject.in_(subjects))
    )
    return dict(found.all())


def record_beneficiary_fact(session, event, subject: str, erased: dict[str, int]) -> None:
    data = {k: v for k, v in event.data.items() if k != "beneficiary_id"}
    coded = codes(event.type, event.data, event.time, subject, sector=False)
    if subject in erased:
        coded["person"] = erased[subject]
        subject = "erased"  # a replayed fact of someone erased since stays anonymous
    session.add(Fact(event_id=event.id, type=event.type, subject=subject, month=fact_month(event), data=data, **coded))


def record_other_fact(session, event, subject, erased: dict[str, int]) -> None:
    data = dict(event.data)
    coded = codes(event.type, data, event.time, subject, sector=False)
    beneficiary = data.get("beneficiary_id")
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


def erase(session, subject: str, event_id: str) -> int:
    """Keep the person's facts as statistical residue under a key that names no one; returns that key."""
    residue = anonymous_key()
    session.merge(ErasedSubject(subject=subject, residue=residue))
    session.execute(update(Fact).where(Fact.person == key64(subject)).values(person=residue))
    session.execute(update(Fact).where(Fact.subject == subject).values(subject="erased"))
    session.execute(
        update(Entry).where(Entry.beneficiary_id == subject).values(beneficiary_id=event_id)
    )  # a key that names no one, within 36
    return residue
