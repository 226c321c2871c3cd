"""Employer service entrypoints, wiring only: each RPC is its spec (``kit.entrypoint``) and the use case of
``employer.application`` it calls (the rules are in ``employer.domain``)."""

from employer import application as app
from employer import directory, queries, schemas
from employer import partner_schemas as ps
from kit.actor import Caller
from kit.entrypoint import due_timer, entrypoint
from kit.references import CHECK_TIMEOUT, known
from kit.rpc import TimedRpcProxy
from kit.service import ServiceBase


class EmployerService(ServiceBase):
    name = "employer"
    caller = Caller()
    matching = TimedRpcProxy("matching")
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)

    # -- employers -------------------------------------------------------
    @entrypoint("employer.register", payload=schemas.EmployerIntakeSchema, answer=schemas.EmployerSchema)
    def register(self, payload):
        return app.register(*self.unit, payload)

    @entrypoint("employer.reference", reads=True)
    def known_employers(self, ids):
        """Which of these references name an employer of this Mission (kit.references; existence only)."""
        return known(ids, lambda asked: app.known_employers(self.unit.session, asked))

    @entrypoint("employer.reference", reads=True)
    def known_vacancies(self, ids):
        """Which of these references name a vacancy of this Mission, each with its employer (or None)."""
        return known(ids, lambda asked: app.known_vacancies(self.unit.session, asked))

    @entrypoint("employer.reference", reads=True)
    def known_partners(self, ids):
        """Which of these references name a partner organisation of this Mission, each with its type."""
        return known(ids, lambda asked: directory.known_partners(self.unit.session, asked))

    @entrypoint("employer.reference", reads=True)
    def known_partner_services(self, ids):
        """Which of these references name a service still offered by a partner of this Mission, each with
        its organisation's type."""
        return known(ids, lambda asked: directory.known_partner_services(self.unit.session, asked))

    @entrypoint("employer.read", reads=True)
    def get(self, employer_id):
        return app.read_employer(self.unit.session, employer_id)

    @entrypoint("employer.read", reads=True)
    def list_employers(self, page=1, page_size=25):
        return app.list_employers(self.unit.session, page, page_size)

    @entrypoint("employer.read", reads=True)
    def count(self):
        return app.count(self.unit.session)

    @entrypoint("employer.register", payload=schemas.ContactSchema, answer=schemas.ContactOutSchema)
    def add_contact(self, employer_id, payload):
        return app.add_contact(self.unit.session, employer_id, payload)

    @entrypoint("employer.contact.erase", answer=lambda _, erased: {"erased": erased})
    def erase_contact(self, employer_id, contact_id):
        """Erase a contact (at their request, or when they no longer work there)."""
        return app.erase_contact(self.unit.session, employer_id, contact_id)

    # -- prospection -----------------------------------------------------
    @entrypoint("employer.register", payload=schemas.ProspectionSchema, answer=schemas.PROSPECTION_ID)
    def log_prospection(self, employer_id, payload):
        """A visit, call or e-mail, the hiring needs it surfaced and the next action."""
        return app.log_prospection(self.unit.session, self.unit.actor, employer_id, payload)

    @entrypoint("employer.read", reads=True, answer=schemas.ProspectionOutSchema(many=True))
    def prospection_history(self, employer_id):
        return app.prospection_history(self.unit.session, employer_id)

    # -- vacancies -------------------------------------------------------
    @entrypoint("employer.vacancy.write", payload=schemas.VacancySchema, answer=schemas.VacancyOutSchema)
    def create_vacancy(self, payload):
        """A vacancy negotiated with an employer, as a draft."""
        return app.create_vacancy(self.unit.session, self.unit.actor, self.clock, payload)

    @entrypoint("employer.vacancy.write", payload=schemas.VacancyUpdateSchema, answer=schemas.VacancyOutSchema)
    def update_vacancy(self, vacancy_id, payload):
        app.check_update(payload)
        return app.update_vacancy(*self.unit, vacancy_id, payload)

    @entrypoint("employer.vacancy.write", answer=schemas.VACANCY_STATUS)
    def open_vacancy(self, vacancy_id):
        return app.move(*self.unit, vacancy_id, "open")

    @entrypoint("employer.vacancy.write", answer=schemas.VACANCY_STATUS)
    def close_vacancy(self, vacancy_id):
        return app.move(*self.unit, vacancy_id, "close")

    @entrypoint("employer.vacancy.write", reason=app.check_cancel_reason, answer=schemas.VACANCY_STATUS)
    def cancel_vacancy(self, vacancy_id, reason):
        return app.move(*self.unit, vacancy_id, "cancel", reason)

    @entrypoint(
        "employer.vacancy.fill",
        beneficiary_id=app.check_beneficiary_reference,
        refs=app.fill_refs,
        answer=schemas.VACANCY_FILLED,
    )
    def fill_vacancy(self, vacancy_id, beneficiary_id):
        """One post filled, by a beneficiary (by reference)."""
        return app.fill(*self.unit, vacancy_id, beneficiary_id)

    @entrypoint("employer.read", reads=True)
    def get_vacancy(self, vacancy_id):
        return app.read_vacancy(self.unit.session, vacancy_id)

    @entrypoint("employer.read", reads=True)
    def list_vacancies(self, status=None, page=1, page_size=25):
        return app.list_vacancies(self.unit.session, status, page, page_size)

    @entrypoint("employer.read", reads=True)
    def suggest_occupations(self, title, limit=5):
        """Ranked occupation codes for a free-text job title; the matching service owns the taxonomy."""
        return self.matching.suggest_occupations(title, limit)

    # -- Le Forem's public offers ----------------------------------------
    @entrypoint("employer.import", offers=app.check_import_batch)
    def import_offers(self, offers):
        """Apply a batch of offers parsed by ``employer.forem``: idempotent on the offer number.

        Returns counts and the rows refused here, by their ``line``; a bad row never stops the batch.
        """
        return app.import_offers(*self.unit, offers)

    # -- search and what is due (employer.queries) -------------------------
    @entrypoint("employer.read", found=queries.SearchSchema, reads=True)
    def search(self, found=None, page=1, page_size=25):
        """Employers by part of their name (accents and case ignored), BCE number, sector (NACE-BEL code or its
        start), municipality or account manager (``queries.SearchSchema``); by name."""
        return app.search(self.unit.session, found, page, page_size)

    @entrypoint("employer.read", reads=True, args=queries.DueSchema)
    def due(self, agent=None, horizon_days=queries.DEFAULT_HORIZON_DAYS):
        """Prospection next actions falling due by ``horizon_days`` ahead, overdue first: those one agent
        logged, or the whole Mission's when ``agent`` is None."""
        return queries.due(self.unit.session, self.clock.today(), horizon_days, agent)

    measure_due = due_timer(queries.due_counts)  # passerelle_due_items, every metrics.DUE_INTERVAL

    # -- corrections --
    @entrypoint("employer.update", payload=schemas.EmployerCorrectionSchema, answer=schemas.EmployerSchema)
    def update(self, employer_id, payload):
        """Correct an employer at the version the caller read (409 if corrected since); kept in the history."""
        return app.correct_employer(*self.unit, employer_id, payload)

    @entrypoint("employer.reassign", payload=schemas.ReassignSchema, answer=schemas.EmployerSchema)
    def reassign(self, employer_id, payload):
        """Hand the employer to another account manager; kept in the history."""
        return app.reassign(*self.unit, employer_id, payload)

    @entrypoint("employer.update", payload=schemas.ContactCorrectionSchema, answer=schemas.ContactOutSchema)
    def update_contact(self, employer_id, contact_id, payload):
        return app.correct_contact(*self.unit, employer_id, contact_id, payload)

    @entrypoint("employer.read", reads=True)
    def list_corrections(self, employer_id):
        """The corrections of the employer, its contacts and its vacancies, latest first."""
        return app.correction_history(self.unit.session, employer_id)

    # -- the partner directory (employer.directory) -------------------------
    @entrypoint("employer.partner.write", payload=ps.PartnerSchema, answer=ps.PartnerOutSchema)
    def create_partner(self, payload):
        """A partner organisation in the Mission's directory (not shared until published)."""
        return directory.create_partner(*self.unit, payload)

    @entrypoint("employer.partner.read", reads=True)
    def get_partner(self, partner_id):
        """An organisation, its services (withdrawn ones too) and its corrections."""
        return directory.read_partner(self.unit.session, partner_id)

    @entrypoint("employer.partner.read", found=ps.PartnerSearchSchema, reads=True)
    def search_partners(self, found=None, page=1, page_size=25):
        """Organisations by need, municipality served, target group, type or part of the name; by name."""
        return directory.search(self.unit.session, found, page, page_size)

    @entrypoint("employer.partner.write", payload=ps.PartnerCorrectionSchema, answer=ps.PartnerOutSchema)
    def correct_partner(self, partner_id, payload):
        """Correct an organisation at the version the caller read (409 if corrected since)."""
        return directory.correct_partner(*self.unit, partner_id, payload)

    @entrypoint("employer.partner.write", payload=ps.PartnerServiceSchema, answer=ps.PartnerServiceOutSchema)
    def add_partner_service(self, partner_id, payload):
        return directory.add_service(*self.unit, partner_id, payload)

    @entrypoint("employer.partner.write", answer=ps.PartnerServiceOutSchema)
    def withdraw_partner_service(self, partner_id, service_id):
        """The organisation no longer offers the service: kept readable, no longer offered."""
        return directory.withdraw_service(*self.unit, partner_id, service_id)

    @entrypoint("employer.partner.write", answer=ps.PartnerOutSchema)
    def publish_partner(self, partner_id):
        """Share the organisation and its offered services with InterMire's sector directory."""
        return directory.set_published(*self.unit, partner_id, True)

    @entrypoint("employer.partner.write", answer=ps.PartnerOutSchema)
    def unpublish_partner(self, partner_id):
        """Stop sharing the organisation: InterMire removes it from the sector directory."""
        return directory.set_published(*self.unit, partner_id, False)
