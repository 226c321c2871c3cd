"""Employer service entrypoints: each RPC is its spec (``kit.entrypoint``) and the use case it calls.

Wiring only: the rules are in ``employer.domain``, the use cases in ``employer.application``; every change
and its events commit together (``kit.outbox``).
"""

from nameko.timer import timer

from employer import application as app
from employer import queries, schemas
from kit import metrics
from kit.actor import Caller
from kit.entrypoint import entrypoint
from kit.references import CHECK_TIMEOUT, known
from kit.retention import apply_to_messages
from kit.rpc import TimedRpcProxy, rpc
from kit.service import ServiceBase


class EmployerService(ServiceBase):
    name = "employer"
    caller = Caller()
    matching = TimedRpcProxy("matching")
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)

    # -- employers -------------------------------------------------------
    @rpc
    @entrypoint("employer.register", payload=schemas.EmployerIntakeSchema, answer=schemas.EmployerSchema)
    def register(self, payload):
        return app.register(*self.unit, payload)

    @rpc
    @entrypoint("employer.reference", reads=True)
    def known_employers(self, ids):
        """Which of these references name an employer of this Mission (kit.references; existence only)."""
        return known(ids, lambda asked: app.known_employers(self.unit.session, asked))

    @rpc
    @entrypoint("employer.reference", reads=True)
    def known_vacancies(self, ids):
        """Which of these references name a vacancy of this Mission, each with its employer (or None)."""
        return known(ids, lambda asked: app.known_vacancies(self.unit.session, asked))

    @rpc
    @entrypoint("employer.read", reads=True)
    def get(self, employer_id):
        return app.read_employer(self.unit.session, employer_id)

    @rpc
    @entrypoint("employer.read", reads=True)
    def list_employers(self, page=1, page_size=25):
        return app.list_employers(self.unit.session, page, page_size)

    @rpc
    @entrypoint("employer.read", reads=True)
    def count(self):
        return app.count(self.unit.session)

    @rpc
    @entrypoint("employer.register", payload=schemas.ContactSchema, answer=schemas.ContactOutSchema)
    def add_contact(self, employer_id, payload):
        return app.add_contact(self.unit.session, employer_id, payload)

    @rpc
    @entrypoint("employer.contact.erase", answer=lambda _, erased: {"erased": erased})
    def erase_contact(self, employer_id, contact_id):
        """Erase a contact (at their request, or when they no longer work there)."""
        return app.erase_contact(self.unit.session, employer_id, contact_id)

    # -- prospection -----------------------------------------------------
    @rpc
    @entrypoint("employer.register", payload=schemas.ProspectionSchema, answer=schemas.PROSPECTION_ID)
    def log_prospection(self, employer_id, payload):
        """A visit, call or e-mail, the hiring needs it surfaced and the next action."""
        return app.log_prospection(self.unit.session, self.unit.actor, employer_id, payload)

    @rpc
    @entrypoint("employer.read", reads=True, answer=schemas.ProspectionOutSchema(many=True))
    def prospection_history(self, employer_id):
        return app.prospection_history(self.unit.session, employer_id)

    # -- vacancies -------------------------------------------------------
    @rpc
    @entrypoint("employer.vacancy.write", payload=schemas.VacancySchema, answer=schemas.VacancyOutSchema)
    def create_vacancy(self, payload):
        """A vacancy negotiated with an employer, as a draft."""
        return app.create_vacancy(self.unit.session, self.unit.actor, self.clock, payload)

    @rpc
    @entrypoint("employer.vacancy.write", payload=schemas.VacancyUpdateSchema, answer=schemas.VacancyOutSchema)
    def update_vacancy(self, vacancy_id, payload):
        app.check_update(payload)
        return app.update_vacancy(self.unit.session, self.clock, self.unit.source, vacancy_id, payload)

    @rpc
    @entrypoint("employer.vacancy.write", answer=schemas.VACANCY_STATUS)
    def open_vacancy(self, vacancy_id):
        return app.move(*self.unit, vacancy_id, "open")

    @rpc
    @entrypoint("employer.vacancy.write", answer=schemas.VACANCY_STATUS)
    def close_vacancy(self, vacancy_id):
        return app.move(*self.unit, vacancy_id, "close")

    @rpc
    @entrypoint("employer.vacancy.write", reason=app.check_cancel_reason, answer=schemas.VACANCY_STATUS)
    def cancel_vacancy(self, vacancy_id, reason):
        return app.move(*self.unit, vacancy_id, "cancel", reason)

    @rpc
    @entrypoint(
        "employer.vacancy.fill",
        beneficiary_id=app.check_beneficiary_reference,
        refs=app.fill_refs,
        answer=schemas.VACANCY_FILLED,
    )
    def fill_vacancy(self, vacancy_id, beneficiary_id):
        """One post filled, by a beneficiary (by reference)."""
        return app.fill(*self.unit, vacancy_id, beneficiary_id)

    @rpc
    @entrypoint("employer.read", reads=True)
    def get_vacancy(self, vacancy_id):
        return app.read_vacancy(self.unit.session, vacancy_id)

    @rpc
    @entrypoint("employer.read", reads=True)
    def list_vacancies(self, status=None, page=1, page_size=25):
        return app.list_vacancies(self.unit.session, status, page, page_size)

    @rpc
    @entrypoint("employer.read", reads=True)
    def suggest_occupations(self, title, limit=5):
        """Ranked occupation codes for a free-text job title; the matching service owns the taxonomy."""
        return self.matching.suggest_occupations(title, limit)

    # -- Le Forem's public offers ----------------------------------------
    @rpc
    @entrypoint("employer.import", offers=app.check_import_batch)
    def import_offers(self, offers):
        """Apply a batch of offers parsed by ``employer.forem``: idempotent on the offer number.

        Returns counts and the rows refused here, by their ``line``; a bad row never stops the batch.
        """
        return app.import_offers(*self.unit, offers)

    # -- search and what is due (employer.queries) -------------------------
    @rpc
    @entrypoint("employer.read", found=queries.SearchSchema, reads=True)
    def search(self, found=None, page=1, page_size=25):
        """Employers by part of their name (accents and case ignored), BCE number, sector (NACE-BEL code or its
        start), municipality or account manager (``queries.SearchSchema``); by name."""
        return app.search(self.unit.session, found, page, page_size)

    @rpc
    @entrypoint("employer.read", reads=True, args=queries.DueSchema)
    def due(self, agent=None, horizon_days=queries.DEFAULT_HORIZON_DAYS):
        """Prospection next actions falling due by ``horizon_days`` ahead, overdue first: those one agent
        logged, or the whole Mission's when ``agent`` is None."""
        return queries.due(self.unit.session, self.clock.today(), horizon_days, agent)

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue next actions as metrics (``passerelle_due_items``)."""
        self.count_due(queries.due_counts)

    # -- data protection --
    @rpc
    def apply_retention(self, periods=None, dry_run=True):
        """Sent outbox and inbox rows past the site's periods purged (``kit.retention``); with ``dry_run``
        (the default) only counted."""
        self.caller.authorize("retention.apply")
        return apply_to_messages(self.db.transaction, self.clock.now(), periods, dry_run)
