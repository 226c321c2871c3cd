"""Reporting in mission mode: the Mission's own indicators, from its internal events.

Wiring only: handlers log every fact with its catalogue codes, RPCs authorise the caller and call the use
cases of ``reporting.application`` (indicators from the fact log, publications with small cells protected,
exports, period submissions: submitted, approved (frozen), corrected by a new version).
"""

from kit.actor import Caller
from kit.consumer import event_handler
from kit.retention import apply_to_messages
from kit.rpc import Budget, rpc
from kit.service import ServiceBase
from reporting import application as app
from reporting import cache
from reporting import catalogue as cat
from reporting.application import basin_of
from reporting.engine import load_mission
from reporting.models import Fact

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
        def load():
            with self.db.session() as session:
                return load_mission(session, Fact, self.site.code, basin_of(self.site.code))

        return cache.facts(self.site.code, load)

    @rpc
    def indicators(self):
        """Counts so far: people entered, employers registered, facts logged per type."""
        self.caller.authorize("reporting.read")
        return app.counts(self.db)

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
        return app.indicator(self._facts(), name, period, by)

    @rpc
    def headline(self, period):
        """Every indicator's total for one period."""
        self.caller.authorize("reporting.read")
        return app.headline(self._facts(), period)

    @rpc
    def publication(self, name, period, columns=None, rows=None):
        """The Mission's published table (a quarter or a year), by one breakdown or two (``rows`` × ``columns``):
        small cells hidden (``null``) and flagged."""
        self.caller.authorize("reporting.read")
        return app.published(self.site.code, self._facts(), "mission", name, period, columns, self.budget, rows)

    @rpc
    def export(self, period, format="csv"):  # noqa: A002 - the API's own word
        """The Mission's published figures for funders, as CSV or XLSX (base64), with a Youth Guarantee table."""
        self.caller.authorize("reporting.export")
        return app.export(self.site.code, self._facts(), "mission", period, format, self.budget)

    # -- submissions -----------------------------------------------------
    @rpc
    def submit_period(self, period, reason=None):
        """Submit the Mission's figures for a period; a correction of an approved period needs a reason."""
        actor = self.caller.authorize("reporting.submit")
        return app.submit_period(self.db, self._facts(), actor, period, reason, source=self.site.source)

    @rpc
    def approve_submission(self, period, version):
        """Approve a submitted version: it becomes the period's frozen snapshot."""
        actor = self.caller.authorize("reporting.approve")
        return app.approve_submission(self.db, actor, period, version, source=self.site.source)

    @rpc
    def get_submission(self, period, version=None):
        """A period's submission: the given version, or the approved one, or the latest."""
        self.caller.authorize("reporting.read")
        return app.get_submission(self.db, period, version)

    @rpc
    def list_submissions(self):
        """Every submission of the Mission, newest period first, without the figures."""
        self.caller.authorize("reporting.read")
        return app.list_submissions(self.db)

    # -- data protection --
    @rpc
    def apply_retention(self, periods=None, dry_run=True):
        """Sent outbox and inbox rows past the site's periods purged (``kit.retention``); with ``dry_run``
        (the default) only counted."""
        self.caller.authorize("retention.apply")
        return apply_to_messages(self.db.transaction, self.clock.now(), periods, dry_run)
