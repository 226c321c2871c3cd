"""Reporting in mission mode: the Mission's own indicators, from its internal events.

Wiring only: handlers log every fact with its catalogue codes, RPCs authorise the caller and call the use
cases of ``reporting.application`` (indicators from the fact log, publications with small cells protected,
exports, period submissions: submitted, approved (frozen), corrected by a new version).
"""

from kit.actor import Caller
from kit.consumer import event_handler
from kit.entrypoint import entrypoint
from kit.rpc import Budget
from kit.service import ServiceBase
from reporting import application as app
from reporting import cache
from reporting import catalogue as cat

FACT_BATCH = 500


class ReportingService(ServiceBase):
    name = "reporting"
    caller = Caller()
    budget = Budget()  # when the caller stops waiting: heavy work past it stops (kit.work)

    @event_handler("be.mire.beneficiary.registered.v1")
    def on_beneficiary_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            app.record_entry(session, event)

    @event_handler("be.mire.employer.registered.v1")
    def on_employer_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            app.record_employer(session, event)

    @event_handler("be.mire.employer.corrected.v1")
    def on_employer_corrected(self, event):
        """An employer's sector corrected: the Mission's employers are counted with the code as it now stands."""
        with self.db.once(event) as session:
            if session is None:
                return
            app.correct_employer(session, event)

    # The fact log takes every event of the Mission, in batches (FACT_BATCH per transaction): a replay or a
    # busy day must not cost a transaction per event.
    @event_handler("be.mire.beneficiary.*.v1", batch=FACT_BATCH)
    def on_beneficiary_fact(self, events):
        """Log every fact of a person's path; an erasure makes the person's facts anonymous."""
        with self.db.once_each(events) as (session, fresh):
            app.record_beneficiary_facts(session, fresh)
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
            app.record_other_facts(session, fresh, subject_of)
        cache.bump(self.site.code)

    # -- reading ---------------------------------------------------------
    def _facts(self):
        return app.mission_facts(self.db, self.site.code)

    @entrypoint("reporting.read", session=False)
    def indicators(self):
        """Counts so far: people entered, employers registered, facts logged per type."""
        return app.counts(self.db)

    @entrypoint("reporting.read", session=False)
    def catalogue(self):
        """The indicator catalogue: each definition, its version, what it counts and how it is dated."""
        return cat.CATALOGUE.describe("mission")

    @entrypoint("reporting.read", session=False)
    def indicator(self, name, period, by=None):
        """One indicator for one period (month, quarter, year), optionally broken down by one dimension.

        The Mission's own staff see their own exact figures; publications (``publication``, exports)
        protect small cells.
        """
        return app.indicator(self._facts(), name, period, by)

    @entrypoint("reporting.read", session=False)
    def headline(self, period):
        """Every indicator's total for one period."""
        return app.headline(self._facts(), period)

    @entrypoint("reporting.read", session=False)
    def publication(self, name, period, columns=None, rows=None):
        """The Mission's published table (a quarter or a year), by one breakdown or two (``rows`` × ``columns``):
        small cells hidden (``null``) and flagged."""
        return app.published(self.site.code, self._facts(), "mission", name, period, columns, self.budget, rows)

    @entrypoint("reporting.export", session=False)
    def export(self, period, format="csv"):  # noqa: A002 - the API's own word
        """The Mission's published figures for funders, as CSV or XLSX (base64), with a Youth Guarantee table."""
        return app.export(self.site.code, self._facts(), "mission", period, format, self.budget)

    # -- submissions -----------------------------------------------------
    @entrypoint("reporting.submit", session=False)
    def submit_period(self, period, reason=None):
        """Submit the Mission's figures for a period; a correction of an approved period needs a reason."""
        return app.submit_period(self.db, self._facts(), self.unit.actor, period, reason, source=self.site.source)

    @entrypoint("reporting.approve", session=False)
    def approve_submission(self, period, version):
        """Approve a submitted version: it becomes the period's frozen snapshot."""
        return app.approve_submission(self.db, self.unit.actor, period, version, source=self.site.source)

    @entrypoint("reporting.read", session=False)
    def get_submission(self, period, version=None):
        """A period's submission: the given version, or the approved one, or the latest."""
        return app.get_submission(self.db, period, version)

    @entrypoint("reporting.read", session=False)
    def list_submissions(self):
        """Every submission of the Mission, newest period first, without the figures."""
        return app.list_submissions(self.db)
