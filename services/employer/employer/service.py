"""Employer service entrypoints: authorise, load through a schema, apply the rules, dump."""

import hashlib
import json
import uuid
from datetime import date

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import func, select
from stdnum.be import vat

from employer import domain, events, queries, schemas
from employer.enums import CANCEL_REASONS, CLOSED, DRAFT, OPEN
from employer.models import Contact, Employer, Prospection, Vacancy, VacancyTransition
from kit import inputs, metrics, outbox
from kit.actor import Caller
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.references import CHECK_TIMEOUT, Ref, check, known, rpc_lookup
from kit.rpc import TimedRpcProxy
from kit.service import ServiceBase

MAX_IMPORT_BATCH = 1000
IMPORTED_FIELDS = (
    "title",
    "occupation",
    "description",
    "contract_type",
    "hours_per_week",
    "municipality",
    "posts",
    "start_date",
)


class EmployerService(ServiceBase):
    name = "employer"
    caller = Caller()
    matching = TimedRpcProxy("matching")
    beneficiary = TimedRpcProxy("beneficiary", timeout=CHECK_TIMEOUT)

    # -- employers -------------------------------------------------------
    def _employer(self, session, employer_id) -> Employer:
        employer = session.get(Employer, employer_id) if isinstance(employer_id, str) else None
        if employer is None:
            raise NotFound("employer", str(employer_id)[:64])
        return employer

    @rpc
    def register(self, payload):
        actor = self.caller.authorize("employer.register")
        data = inputs.load(schemas.EmployerIntakeSchema(), payload)
        number = vat.compact(data.pop("enterprise_number"))[-10:]
        with self.db.transaction() as session:
            existing = session.scalar(select(Employer.id).where(Employer.enterprise_number == number))
            if existing:
                raise Conflict("this enterprise is already registered in this Mission", existing)
            employer = Employer(
                id=str(uuid.uuid4()),
                enterprise_number=number,
                created_at=inputs.now(),
                account_manager=actor.sub,
                **data,
            )
            session.add(employer)
            session.flush()
            for event in events.registered(self.site.source, employer):
                outbox.add(session, event)
        return schemas.EmployerSchema().dump(employer)

    @rpc
    def known_employers(self, ids):
        """Which of these references name an employer of this Mission (kit.references; existence only)."""
        self.caller.authorize("employer.reference")
        with self.db.session() as session:
            return known(
                ids, lambda asked: {i: None for i in session.scalars(select(Employer.id).where(Employer.id.in_(asked)))}
            )

    @rpc
    def known_vacancies(self, ids):
        """Which of these references name a vacancy of this Mission, each with its employer (or None)."""
        self.caller.authorize("employer.reference")
        with self.db.session() as session:
            return known(
                ids,
                lambda asked: dict(
                    session.execute(select(Vacancy.id, Vacancy.employer_id).where(Vacancy.id.in_(asked))).all()
                ),
            )

    @rpc
    def get(self, employer_id):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            employer = self._employer(session, employer_id)
            body = schemas.EmployerSchema().dump(employer)
            body["contacts"] = [
                schemas.ContactSchema().dump(c) | {"id": c.id}
                for c in session.scalars(select(Contact).where(Contact.employer_id == employer.id))
            ]
            return body

    @rpc
    def list_employers(self, page=1, page_size=25):
        self.caller.authorize("employer.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            total = session.scalar(select(func.count()).select_from(Employer))
            rows = session.scalars(select(Employer).order_by(Employer.name, Employer.id).offset(offset).limit(limit))
            return {
                "items": schemas.EmployerSchema().dump(rows, many=True),
                "page": page,
                "page_size": page_size,
                "total": total,
            }

    @rpc
    def count(self):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Employer))

    @rpc
    def add_contact(self, employer_id, payload):
        self.caller.authorize("employer.register")
        data = inputs.load(schemas.ContactSchema(), payload)
        with self.db.transaction() as session:
            employer = self._employer(session, employer_id)
            contact = Contact(id=str(uuid.uuid4()), employer_id=employer.id, **data)
            session.add(contact)
        return {"id": contact.id, **schemas.ContactSchema().dump(contact)}

    # -- prospection -----------------------------------------------------
    @rpc
    def log_prospection(self, employer_id, payload):
        """A visit, call or e-mail, the hiring needs it surfaced and the next action."""
        actor = self.caller.authorize("employer.register")
        data = inputs.load(schemas.ProspectionSchema(), payload)
        with self.db.transaction() as session:
            employer = self._employer(session, employer_id)
            entry = Prospection(id=str(uuid.uuid4()), employer_id=employer.id, by=actor.sub, **data)
            session.add(entry)
        return {"id": entry.id}

    @rpc
    def prospection_history(self, employer_id):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            employer = self._employer(session, employer_id)
            entries = session.scalars(
                select(Prospection)
                .where(Prospection.employer_id == employer.id)
                .order_by(Prospection.on.desc(), Prospection.id)
            ).all()
            return [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "on": p.on.isoformat(),
                    "by": p.by,
                    "summary": p.summary,
                    "needs": p.needs,
                    "next_action": p.next_action,
                    "next_action_due": p.next_action_due and p.next_action_due.isoformat(),
                }
                for p in entries
            ]

    # -- vacancies -------------------------------------------------------
    def _vacancy(self, session, vacancy_id) -> Vacancy:
        vacancy = session.get(Vacancy, vacancy_id) if isinstance(vacancy_id, str) else None
        if vacancy is None:
            raise NotFound("vacancy", str(vacancy_id)[:64])
        return vacancy

    def _transition(self, session, vacancy, actor, to_status, reason=None, beneficiary_id=None):
        session.add(
            VacancyTransition(
                vacancy_id=vacancy.id,
                from_status=vacancy.status,
                to_status=to_status,
                reason=reason,
                beneficiary_id=beneficiary_id,
                at=inputs.now(),
                by=actor.sub,
                role=",".join(actor.roles),
            )
        )
        vacancy.status = to_status

    def _emit(self, session, type_, vacancy, **extra):
        for event in events.vacancy(self.site.source, type_, vacancy, date.today(), **extra):
            outbox.add(session, event)

    @rpc
    def create_vacancy(self, payload):
        """A vacancy negotiated with an employer, as a draft."""
        actor = self.caller.authorize("employer.vacancy.write")
        data = inputs.load(schemas.VacancySchema(), payload)
        with self.db.transaction() as session:
            self._employer(session, data["employer_id"])
            vacancy = Vacancy(
                id=str(uuid.uuid4()),
                source="mission",
                source_ref=None,
                filled=0,
                status=DRAFT,
                created_at=inputs.now(),
                **data,
            )
            session.add(vacancy)
            session.flush()
            session.add(
                VacancyTransition(
                    vacancy_id=vacancy.id,
                    from_status=None,
                    to_status=DRAFT,
                    at=inputs.now(),
                    by=actor.sub,
                    role=",".join(actor.roles),
                )
            )
        return schemas.VacancyOutSchema().dump(vacancy)

    @rpc
    def update_vacancy(self, vacancy_id, payload):
        self.caller.authorize("employer.vacancy.write")
        data = inputs.load(schemas.VacancyUpdateSchema(), payload)
        if "employer_id" in data:
            raise ValidationFailed({"employer_id": ["a vacancy does not change employer"]})
        with self.db.transaction() as session:
            vacancy = self._vacancy(session, vacancy_id)
            if vacancy.status in (CLOSED, "cancelled", "filled"):
                raise ValidationFailed({"status": [f"a {vacancy.status} vacancy cannot change"]})
            if "posts" in data and data["posts"] < vacancy.filled:
                raise ValidationFailed({"posts": [f"{vacancy.filled} posts are already filled"]})
            for key, value in data.items():
                setattr(vacancy, key, value)
            if vacancy.status != DRAFT:
                self._emit(session, events.VACANCY_UPDATED, vacancy)
        return schemas.VacancyOutSchema().dump(vacancy)

    @rpc
    def open_vacancy(self, vacancy_id):
        return self._move(vacancy_id, "open")

    @rpc
    def close_vacancy(self, vacancy_id):
        return self._move(vacancy_id, "close")

    @rpc
    def cancel_vacancy(self, vacancy_id, reason):
        if reason not in CANCEL_REASONS:
            raise ValidationFailed({"reason": [f"one of {', '.join(CANCEL_REASONS)}"]})
        return self._move(vacancy_id, "cancel", reason)

    def _move(self, vacancy_id, action, reason=None):
        actor = self.caller.authorize("employer.vacancy.write")
        with self.db.transaction() as session:
            vacancy = self._vacancy(session, vacancy_id)
            try:
                target = domain.move(vacancy.status, action)
            except domain.TransitionRefused as exc:
                raise ValidationFailed({"status": [str(exc)]}) from None
            was_draft = vacancy.status == DRAFT
            self._transition(session, vacancy, actor, target, reason)
            if target == OPEN:
                self._emit(session, events.VACANCY_OPENED, vacancy)
            elif not was_draft:  # a draft nobody saw closes without telling anyone
                self._emit(session, events.VACANCY_CLOSED, vacancy, reason=reason)
        return {"id": vacancy.id, "status": vacancy.status}

    @rpc
    def fill_vacancy(self, vacancy_id, beneficiary_id):
        """One post filled, by a beneficiary (by reference)."""
        actor = self.caller.authorize("employer.vacancy.fill")
        if not isinstance(beneficiary_id, str) or not 1 <= len(beneficiary_id) <= 36:
            raise ValidationFailed({"beneficiary_id": ["a beneficiary reference is expected"]})
        check([Ref("beneficiary_id", "beneficiary", beneficiary_id)], rpc_lookup({"beneficiary": self.beneficiary}))
        with self.db.transaction() as session:
            vacancy = self._vacancy(session, vacancy_id)
            try:
                target = domain.fill(vacancy.status, vacancy.posts, vacancy.filled)
            except domain.TransitionRefused as exc:
                raise ValidationFailed({"status": [str(exc)]}) from None
            vacancy.filled += 1
            self._transition(session, vacancy, actor, target, beneficiary_id=beneficiary_id)
            self._emit(session, events.VACANCY_FILLED, vacancy, beneficiary_id=beneficiary_id)
        return {"id": vacancy.id, "status": vacancy.status, "filled": vacancy.filled}

    @rpc
    def get_vacancy(self, vacancy_id):
        self.caller.authorize("employer.read")
        with self.db.session() as session:
            vacancy = self._vacancy(session, vacancy_id)
            body = schemas.VacancyOutSchema().dump(vacancy)
            body["transitions"] = [
                {
                    "from": t.from_status,
                    "to": t.to_status,
                    "reason": t.reason,
                    "beneficiary_id": t.beneficiary_id,
                    "at": t.at.isoformat(),
                    "by": t.by,
                    "role": t.role,
                }
                for t in session.scalars(
                    select(VacancyTransition)
                    .where(VacancyTransition.vacancy_id == vacancy.id)
                    .order_by(VacancyTransition.id)
                )
            ]
            return body

    @rpc
    def list_vacancies(self, status=None, page=1, page_size=25):
        self.caller.authorize("employer.read")
        offset, limit = inputs.page_window(page, page_size)
        with self.db.session() as session:
            query = select(Vacancy)
            if status is not None:
                query = query.where(Vacancy.status == status)
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            rows = session.scalars(query.order_by(Vacancy.created_at.desc(), Vacancy.id).offset(offset).limit(limit))
            return {
                "items": schemas.VacancyOutSchema(exclude=("description",)).dump(rows, many=True),
                "page": page,
                "page_size": page_size,
                "total": total,
            }

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
        if not isinstance(offers, list) or len(offers) > MAX_IMPORT_BATCH:
            raise ValidationFailed({"offers": [f"a list of at most {MAX_IMPORT_BATCH} offers"]})
        result = {"created": 0, "updated": 0, "unchanged": 0, "rejected": []}
        with self.db.transaction() as session:
            for offer in offers:
                line = offer.get("line") if isinstance(offer, dict) else None
                try:
                    outcome = self._import_one(session, actor, offer)
                except ValidationFailed as exc:
                    result["rejected"].append({"line": line, "reason": json.dumps(exc.errors, ensure_ascii=False)})
                    continue
                result[outcome] += 1
        return result

    def _import_one(self, session, actor, offer) -> str:
        data = inputs.load(schemas.ImportedOfferSchema(), offer)
        digest = hashlib.sha256(
            json.dumps({k: str(data.get(k)) for k in IMPORTED_FIELDS} | {"open": data["open"]}, sort_keys=True).encode()
        ).hexdigest()
        vacancy = session.scalar(select(Vacancy).where(Vacancy.source_ref == f"forem:{data['source_ref']}"))
        if vacancy is not None and vacancy.content_hash == digest:
            return "unchanged"
        if vacancy is None:
            vacancy = Vacancy(
                id=str(uuid.uuid4()),
                employer_id=None,
                source="forem",
                source_ref=f"forem:{data['source_ref']}",
                competences=[],
                filled=0,
                status=DRAFT,
                created_at=inputs.now(),
                **{k: data[k] for k in IMPORTED_FIELDS},
            )
            session.add(vacancy)
            session.flush()
            outcome = "created"
        else:
            for key in IMPORTED_FIELDS:
                setattr(vacancy, key, data[key])
            outcome = "updated"
        vacancy.content_hash = digest
        target = OPEN if data["open"] else CLOSED
        if vacancy.status != target:
            self._transition(session, vacancy, actor, target)
            self._emit(session, events.VACANCY_OPENED if target == OPEN else events.VACANCY_CLOSED, vacancy)
        elif outcome == "updated" and target == OPEN:
            self._emit(session, events.VACANCY_UPDATED, vacancy)
        return outcome

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
            return queries.due(session, date.today(), asked["horizon_days"], asked["agent"])

    @timer(interval=metrics.DUE_INTERVAL, eager=True)
    def measure_due(self):
        """The Mission's due and overdue next actions as metrics (``passerelle_due_items``)."""
        with self.db.session() as session:
            counts = queries.due_counts(session, date.today())
        for (kind, state), n in counts.items():
            metrics.DUE_ITEMS.labels(self.name, kind, state).set(n)
