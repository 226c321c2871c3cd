"""Employer service entrypoints: authorise, load through a schema, run a use case, dump.

Wiring only: the rules are in ``employer.domain``, the use cases in ``employer.application``; every change
and its events commit together (``kit.outbox``).
"""

from nameko.timer import timer

from employer import application as app
from employer import queries, schemas
from kit import inputs, metrics
from kit.actor import Caller
from kit.application import SystemClock, to_outbox
from kit.references import CHECK_TIMEOUT, Ref, check, known, rpc_lookup
from kit.rpc import TimedRpcProxy, rpc
from kit.service import ServiceBase

clock = SystemClock()


class EmployerService(ServiceBase):
    name = "employer"
    caller = Caller()
    matching = TimedRpcProxy("matching")
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)

    # -- employers -------------------------------------------------------
    @rpc
    def register(self, payload):
        actor = self.caller.authorize("employer.register")
        data = inputs.load(schemas.EmployerIntakeSchema(), payload)
        with self.db.transaction() as session:
            employer = to_outbox(session, app.register(session, actor, clock, self.site.source, data))
        return schemas.EmployerSchema().dump(employer)

    @rpc
    def known_employers(self, ids):
        """Which of these references name an employer of this Mission (kit.references; existence only)."""
        self.caller.authorize("employer.reference")
        with self.db.session() as session:
            return known(ids, lambda asked: app.known_employers(session, asked))

    @rpc
    def known_vacancies(self, ids):
        """Which of these references name a vacancy of this Mission, each with its employer (or None)."""
        self.caller.authorize("employer.reference")
        with self.db.session() as session:
            return known(ids, lambda asked: app.known_vacancies(session, asked))

    @rpc
    def get(self, employer_id):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            employer = app.employer(session, employer_id)
            contacts = [schemas.ContactSchema().dump(c) | {"id": c.id} for c in app.contacts(session, employer.id)]
            return schemas.EmployerSchema().dump(employer) | {"contacts": contacts}

    @rpc
    def list_employers(self, page=1, page_size=25):
        self.caller.authorize("employer.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            total, rows = app.employers_page(session, offset, limit)
            items = schemas.EmployerSchema().dump(rows, many=True)
            return {"items": items, "page": page, "page_size": page_size, "total": total}

    @rpc
    def count(self):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            return app.count(session)

    @rpc
    def add_contact(self, employer_id, payload):
        self.caller.authorize("employer.register")
        data = inputs.load(schemas.ContactSchema(), payload)
        with self.db.transaction() as session:
            contact = app.add_contact(session, employer_id, data)
        return {"id": contact.id, **schemas.ContactSchema().dump(contact)}

    # -- prospection -----------------------------------------------------
    @rpc
    def log_prospection(self, employer_id, payload):
        """A visit, call or e-mail, the hiring needs it surfaced and the next action."""
        actor = self.caller.authorize("employer.register")
        data = inputs.load(schemas.ProspectionSchema(), payload)
        with self.db.transaction() as session:
            entry = app.log_prospection(session, actor, employer_id, data)
        return {"id": entry.id}

    @rpc
    def prospection_history(self, employer_id):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            return schemas.ProspectionOutSchema(many=True).dump(app.prospection_history(session, employer_id))

    # -- vacancies -------------------------------------------------------
    @rpc
    def create_vacancy(self, payload):
        """A vacancy negotiated with an employer, as a draft."""
        actor = self.caller.authorize("employer.vacancy.write")
        data = inputs.load(schemas.VacancySchema(), payload)
        with self.db.transaction() as session:
            vacancy = app.create_vacancy(session, actor, clock, data)
        return schemas.VacancyOutSchema().dump(vacancy)

    @rpc
    def update_vacancy(self, vacancy_id, payload):
        self.caller.authorize("employer.vacancy.write")
        data = inputs.load(schemas.VacancyUpdateSchema(), payload)
        app.check_update(data)
        with self.db.transaction() as session:
            vacancy = to_outbox(session, app.update_vacancy(session, clock, self.site.source, vacancy_id, data))
        return schemas.VacancyOutSchema().dump(vacancy)

    @rpc
    def open_vacancy(self, vacancy_id):
        return self._move(vacancy_id, "open")

    @rpc
    def close_vacancy(self, vacancy_id):
        return self._move(vacancy_id, "close")

    @rpc
    def cancel_vacancy(self, vacancy_id, reason):
        app.check_cancel_reason(reason)
        return self._move(vacancy_id, "cancel", reason)

    def _move(self, vacancy_id, action, reason=None):
        actor = self.caller.authorize("employer.vacancy.write")
        with self.db.transaction() as session:
            done = app.move(session, actor, clock, self.site.source, vacancy_id, action, reason)
            vacancy = to_outbox(session, done)
        return {"id": vacancy.id, "status": vacancy.status}

    @rpc
    def fill_vacancy(self, vacancy_id, beneficiary_id):
        """One post filled, by a beneficiary (by reference)."""
        actor = self.caller.authorize("employer.vacancy.fill")
        app.check_beneficiary_reference(beneficiary_id)
        check([Ref("beneficiary_id", "beneficiary", beneficiary_id)], rpc_lookup({"beneficiary": self.beneficiary}))
        with self.db.transaction() as session:
            done = app.fill(session, actor, clock, self.site.source, vacancy_id, beneficiary_id)
            vacancy = to_outbox(session, done)
        return {"id": vacancy.id, "status": vacancy.status, "filled": vacancy.filled}

    @rpc
    def get_vacancy(self, vacancy_id):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            vacancy = app.vacancy(session, vacancy_id)
            transitions = schemas.VacancyTransitionOutSchema(many=True).dump(app.transitions(session, vacancy.id))
            return schemas.VacancyOutSchema().dump(vacancy) | {"transitions": transitions}

    @rpc
    def list_vacancies(self, status=None, page=1, page_size=25):
        self.caller.authorize("employer.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            total, rows = app.vacancies_page(session, status, offset, limit)
            items = schemas.VacancyOutSchema(exclude=("description",)).dump(rows, many=True)
            return {"items": items, "page": page, "page_size": page_size, "total": total}

    @rpc
    def suggest_occupations(self, title, limit=5):
        """Ranked occupation codes for a free-text job title; the matching service owns the taxonomy."""
        self.caller.authorize("employer.read")
        return self.matching.suggest_occupations(title, limit)

    # -- Le Forem's public offers ----------------------------------------
    @rpc
    def import_offers(self, offers):
        """Apply a batch of offers parsed by ``employer.forem``: idempotent on the offer number.

        Returns counts and the rows refused here, by their ``line``; a bad row never stops the batch.
        """
        actor = self.caller.authorize("employer.import")
        batch = app.check_import_batch(offers)
        with self.db.transaction() as session:
            return to_outbox(session, app.import_offers(session, actor, clock, self.site.source, batch))

    # -- search and what is due (employer.queries) -------------------------
    @rpc
    def search(self, found=None, page=1, page_size=25):
        """Employers by part of their name (accents and case ignored), BCE number, sector (NACE-BEL code or its
        start), municipality or account manager (``queries.SearchSchema``); by name."""
        self.caller.authorize("employer.read")
        loaded = inputs.load(queries.SearchSchema(), found)
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            total, items = queries.search(session, loaded, offset, limit)
        return {"items": items, "page": page, "page_size": page_size, "total": total}

    @rpc
    def due(self, agent=None, horizon_days=queries.DEFAULT_HORIZON_DAYS):
        """Prospection next actions falling due by ``horizon_days`` ahead, overdue first: those one agent
        logged, or the whole Mission's when ``agent`` is None."""
        self.caller.authorize("employer.read")
        asked = inputs.load(queries.DueSchema(), {"agent": agent, "horizon_days": horizon_days})
        with self.db.session() as session:
            return queries.due(session, clock.today(), asked["horizon_days"], asked["agent"])

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue next actions as metrics (``passerelle_due_items``)."""
        with self.db.session() as session:
            counts = queries.due_counts(session, clock.today())
        for (kind, state), n in counts.items():
            metrics.DUE_ITEMS.labels(self.name, kind, state).set(n)
