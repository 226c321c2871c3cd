"""The employer service's use cases, free of nameko.

Each function takes the unit of work (the session of the entrypoint's transaction), the actor the caller
was authorised as, the clock and what the use case needs (the events' ``source``, the loaded payload),
applies the rules of ``employer.domain``, writes through the session and returns what the entrypoint
answers with, as a ``kit.application.Outcome`` with the events to publish when the change has any.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from stdnum.be import vat

from employer import domain, events, queries, schemas
from employer.enums import DRAFT, FOREM_SOURCE, MISSION_SOURCE, OPEN
from employer.models import Contact, Correction, Employer, Prospection, Vacancy, VacancyTransition
from kit import answers, corrections, inputs
from kit.actor import Actor
from kit.application import Addressed, Clock, Outcome, internal, move_and_log, refused_as_field_errors
from kit.errors import Conflict, NotFound, ValidationFailed
from kit.references import Ref

Data = dict[str, Any]


def _found(session: Session, model: type, what: str, ref: object) -> Any:
    found = session.get(model, ref) if isinstance(ref, str) else None
    if found is None:
        raise NotFound(what, str(ref)[:64])
    return found


def employer(session: Session, employer_id: object) -> Employer:
    """The employer ``employer_id`` names in this Mission, or NotFound."""
    found: Employer = _found(session, Employer, "employer", employer_id)
    return found


def vacancy(session: Session, vacancy_id: object) -> Vacancy:
    """The vacancy ``vacancy_id`` names in this Mission, or NotFound."""
    found: Vacancy = _found(session, Vacancy, "vacancy", vacancy_id)
    return found


def _announce(clock: Clock, source: str, type_: str, v: Vacancy, **extra: Any) -> list[Addressed]:
    return internal(events.vacancy(source, type_, v, clock.today(), **extra))


def _transition(
    session: Session,
    clock: Clock,
    actor: Actor,
    v: Vacancy,
    to_status: str,
    reason: str | None = None,
    beneficiary_id: str | None = None,
) -> None:
    """Record the move of ``v`` to ``to_status`` (who, when, why) and make it."""
    move_and_log(
        session,
        clock,
        actor,
        v,
        VacancyTransition,
        to_status,
        vacancy_id=v.id,
        reason=reason,
        beneficiary_id=beneficiary_id,
    )


# -- employers ------------------------------------------------------------
def register(session: Session, actor: Actor, clock: Clock, source: str, data: Data) -> Outcome[Employer]:
    """A new employer of the Mission, by its enterprise number: refused when the Mission already has it."""
    fields = dict(data)
    number = vat.compact(fields.pop("enterprise_number"))[-10:]
    existing = session.scalar(select(Employer.id).where(Employer.enterprise_number == number))
    if existing:
        raise Conflict("this enterprise is already registered in this Mission", existing)
    new = Employer(
        id=str(uuid.uuid4()), enterprise_number=number, created_at=clock.now(), account_manager=actor.sub, **fields
    )
    session.add(new)
    session.flush()
    return Outcome(new, internal(events.registered(source, new)))


def known_employers(session: Session, asked: list[str]) -> dict[str, None]:
    return {i: None for i in session.scalars(select(Employer.id).where(Employer.id.in_(asked)))}


def known_vacancies(session: Session, asked: list[str]) -> dict[str, str | None]:
    """Which of ``asked`` name a vacancy of this Mission, each with its employer (or None)."""
    return {
        ref: owner
        for ref, owner in session.execute(select(Vacancy.id, Vacancy.employer_id).where(Vacancy.id.in_(asked)))
    }


def contacts(session: Session, employer_id: str) -> list[Contact]:
    return list(session.scalars(select(Contact).where(Contact.employer_id == employer_id)))


def employers_page(session: Session, offset: int, limit: int) -> tuple[int, list[Employer]]:
    """How many employers the Mission has, and one page of them by name."""
    rows = session.scalars(select(Employer).order_by(Employer.name, Employer.id).offset(offset).limit(limit))
    return count(session), list(rows)


def vacancies_page(session: Session, status: object, offset: int, limit: int) -> tuple[int, list[Vacancy]]:
    """How many vacancies there are (in ``status``, unless None), and one page of them, latest first."""
    query = select(Vacancy)
    if status is not None:
        query = query.where(Vacancy.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Vacancy.created_at.desc(), Vacancy.id).offset(offset).limit(limit))
    return total, list(rows)


def read_employer(session: Session, employer_id: object) -> Data:
    """An employer with its contacts."""
    found = employer(session, employer_id)
    listed = schemas.ContactOutSchema(many=True).dump(contacts(session, found.id))
    return schemas.EmployerSchema().dump(found) | {"contacts": listed}


def list_employers(session: Session, page: object, page_size: object) -> Data:
    """One page of the Mission's employers, by name (``kit.answers.page``)."""
    total, rows = employers_page(session, *inputs.page_window(page, page_size))
    return answers.page(schemas.EmployerSchema().dump(rows, many=True), cast(int, page), cast(int, page_size), total)


def read_vacancy(session: Session, vacancy_id: object) -> Data:
    """A vacancy with the moves of its status, oldest first."""
    found = vacancy(session, vacancy_id)
    moves = schemas.VacancyTransitionOutSchema(many=True).dump(transitions(session, found.id))
    return schemas.VacancyOutSchema().dump(found) | {"transitions": moves}


def list_vacancies(session: Session, status: object, page: object, page_size: object) -> Data:
    """One page of the vacancies (in ``status``, unless None), latest first, without their descriptions."""
    total, rows = vacancies_page(session, status, *inputs.page_window(page, page_size))
    listed = schemas.LISTED_VACANCIES.dump(rows, many=True)
    return answers.page(listed, cast(int, page), cast(int, page_size), total)


def search(session: Session, found: Data, page: object, page_size: object) -> Data:
    """One page of the employers matching every criterion of ``found`` (``queries.SearchSchema``), by name."""
    total, items = queries.search(session, found, *inputs.page_window(page, page_size))
    return answers.page(items, cast(int, page), cast(int, page_size), total)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Employer)) or 0


def add_contact(session: Session, employer_id: object, data: Data) -> Contact:
    contact = Contact(id=str(uuid.uuid4()), employer_id=employer(session, employer_id).id, **data)
    session.add(contact)
    session.flush()  # its defaults (the version a correction names) in the answer
    return contact


def erase_contact(session: Session, employer_id: object, contact_id: object) -> str:
    """Delete one contact of the employer: their name, function, phone and e-mail are held nowhere else.

    No event ever carried a contact (``employer.events``), so nothing has to be told to forget them.
    """
    owner = employer(session, employer_id)
    found = session.get(Contact, contact_id) if isinstance(contact_id, str) else None
    if found is None or found.employer_id != owner.id:
        raise NotFound("contact", str(contact_id)[:64])
    # The corrections' history holds the contact's former names, phones and e-mails: it goes too.
    session.execute(delete(Correction).where(Correction.record == CONTACT, Correction.record_id == found.id))
    session.delete(found)
    return found.id


# -- prospection ----------------------------------------------------------
def log_prospection(session: Session, actor: Actor, employer_id: object, data: Data) -> Prospection:
    """A visit, call or e-mail, the hiring needs it surfaced and the next action."""
    entry = Prospection(id=str(uuid.uuid4()), employer_id=employer(session, employer_id).id, by=actor.sub, **data)
    session.add(entry)
    return entry


def prospection_history(session: Session, employer_id: object) -> list[Prospection]:
    """The employer's prospection, latest first."""
    found = employer(session, employer_id)
    return list(
        session.scalars(
            select(Prospection)
            .where(Prospection.employer_id == found.id)
            .order_by(Prospection.on.desc(), Prospection.id)
        )
    )


# -- vacancies ------------------------------------------------------------
def create_vacancy(session: Session, actor: Actor, clock: Clock, data: Data) -> Vacancy:
    """A vacancy negotiated with an employer, as a draft (nobody hears of a draft)."""
    employer(session, data["employer_id"])
    new = Vacancy(
        id=str(uuid.uuid4()),
        source=MISSION_SOURCE,
        source_ref=None,
        filled=0,
        status=DRAFT,
        created_at=clock.now(),
        **data,
    )
    session.add(new)
    session.flush()
    session.add(
        VacancyTransition(
            vacancy_id=new.id,
            from_status=None,
            to_status=DRAFT,
            at=clock.now(),
            by=actor.sub,
            role=",".join(actor.roles),
        )
    )
    return new


def check_update(data: Data) -> None:
    """What an edit may never ask, whatever the vacancy (checked before the vacancy is looked up)."""
    with refused_as_field_errors():
        domain.check_same_employer(data)


def update_vacancy(
    session: Session, actor: Actor, clock: Clock, source: str, vacancy_id: object, data: Data
) -> Outcome[Vacancy]:
    """Correct a vacancy that has not ended, if it is still at the version the caller read; each changed
    field is kept with its value before and after. The change is told once the vacancy is no longer a draft."""
    sent = corrections.sent_version(data)
    v = vacancy(session, vacancy_id)
    with refused_as_field_errors():
        domain.check_update(v.status, v.filled, data)
    version = corrections.claim(session, v, Correction, VACANCY, sent)
    _corrected(session, actor, clock, VACANCY, v.id, version, corrections.apply(v, data, CORRECTABLE_VACANCY))
    return Outcome(v, _announce(clock, source, events.VACANCY_UPDATED, v) if v.status != DRAFT else [])


def check_cancel_reason(reason: object) -> str:
    """The reason a vacancy is cancelled for, if it is one of ``domain.CANCEL_REASONS``."""
    with refused_as_field_errors():
        domain.check_cancel_reason(reason)
    return str(reason)


def move(
    session: Session,
    actor: Actor,
    clock: Clock,
    source: str,
    vacancy_id: object,
    action: str,
    reason: str | None = None,
) -> Outcome[Vacancy]:
    """Open, close or cancel a vacancy (``domain.MOVES``)."""
    v = vacancy(session, vacancy_id)
    try:
        target = domain.move(v.status, action)
    except domain.TransitionRefused as exc:
        raise ValidationFailed({"status": [str(exc)]}) from None
    was = v.status
    _transition(session, clock, actor, v, target, reason)
    if not domain.announced_on_move(was, target):
        return Outcome(v)
    if target == OPEN:
        return Outcome(v, _announce(clock, source, events.VACANCY_OPENED, v))
    return Outcome(v, _announce(clock, source, events.VACANCY_CLOSED, v, reason=reason))


def check_beneficiary_reference(beneficiary_id: object) -> str:
    """The form of a reference to a person (whether it names one is asked of its owner, ``kit.references``)."""
    if not isinstance(beneficiary_id, str) or not 1 <= len(beneficiary_id) <= 36:
        raise ValidationFailed({"beneficiary_id": ["a beneficiary reference is expected"]})
    return beneficiary_id


def fill_refs(vacancy_id: object, beneficiary_id: str) -> list[Ref]:
    """The person a post is filled by, asked of the beneficiary service before the transaction opens."""
    return [Ref("beneficiary_id", "beneficiary", beneficiary_id)]


def fill(
    session: Session, actor: Actor, clock: Clock, source: str, vacancy_id: object, beneficiary_id: str
) -> Outcome[Vacancy]:
    """One post filled, by a beneficiary (by reference)."""
    v = vacancy(session, vacancy_id)
    try:
        target = domain.fill(v.status, v.posts, v.filled)
    except domain.TransitionRefused as exc:
        raise ValidationFailed({"status": [str(exc)]}) from None
    v.filled += 1
    _transition(session, clock, actor, v, target, beneficiary_id=beneficiary_id)
    return Outcome(v, _announce(clock, source, events.VACANCY_FILLED, v, beneficiary_id=beneficiary_id))


def transitions(session: Session, vacancy_id: str) -> list[VacancyTransition]:
    return list(
        session.scalars(
            select(VacancyTransition).where(VacancyTransition.vacancy_id == vacancy_id).order_by(VacancyTransition.id)
        )
    )


# -- Le Forem's public offers ---------------------------------------------
def check_import_batch(offers: object) -> list[Any]:
    """The batch, if it is one an import takes (checked before the transaction opens)."""
    with refused_as_field_errors():
        domain.check_import_batch(offers)
    assert isinstance(offers, list)
    return offers


def import_offers(session: Session, actor: Actor, clock: Clock, source: str, offers: list[Any]) -> Outcome[Data]:
    """Apply a batch of offers parsed by ``employer.forem``: idempotent on the offer number.

    The value counts what changed and lists the rows refused here, by their ``line``; a bad row never
    stops the batch.
    """
    result: Data = {"created": 0, "updated": 0, "unchanged": 0, "rejected": []}
    published: list[Addressed] = []
    for offer in offers:
        line = offer.get("line") if isinstance(offer, dict) else None
        try:
            outcome = _import_one(session, actor, clock, source, offer, published)
        except ValidationFailed as exc:
            result["rejected"].append({"line": line, "reason": json.dumps(exc.errors, ensure_ascii=False)})
            continue
        result[outcome] += 1
    return Outcome(result, published)


def _import_one(
    session: Session, actor: Actor, clock: Clock, source: str, offer: object, published: list[Addressed]
) -> str:
    data = inputs.load(schemas.ImportedOfferSchema(), offer)
    digest = domain.offer_digest(data)
    v = session.scalar(select(Vacancy).where(Vacancy.source_ref == f"forem:{data['source_ref']}"))
    if v is not None and v.content_hash == digest:
        return "unchanged"
    if v is None:
        v = Vacancy(
            id=str(uuid.uuid4()),
            employer_id=None,
            source=FOREM_SOURCE,
            source_ref=f"forem:{data['source_ref']}",
            competences=[],
            filled=0,
            status=DRAFT,
            created_at=clock.now(),
            **{k: data[k] for k in domain.IMPORTED_FIELDS},
        )
        session.add(v)
        session.flush()
        outcome = "created"
    else:
        for key in domain.IMPORTED_FIELDS:
            setattr(v, key, data[key])
        outcome = "updated"
    v.content_hash = digest
    target = domain.imported_status(data["open"])
    if v.status != target:
        _transition(session, clock, actor, v, target)
        published += _announce(clock, source, events.VACANCY_OPENED if target == OPEN else events.VACANCY_CLOSED, v)
    elif outcome == "updated" and target == OPEN:
        published += _announce(clock, source, events.VACANCY_UPDATED, v)
    return outcome


# -- corrections with history (kit.corrections) ---------------------------
EMPLOYER, CONTACT, VACANCY = "employer", "contact", "vacancy"
CORRECTABLE_EMPLOYER = (
    "name",
    "nace",
    "municipality",
    "legal_form",
    "joint_committee",
    "size_band",
    "street",
    "postal_code",
)
CORRECTABLE_CONTACT = ("name", "function", "phone", "email")
CORRECTABLE_VACANCY = tuple(schemas.VacancySchema().fields)


def _corrected(
    session: Session,
    actor: Actor,
    clock: Clock,
    what: str,
    record_id: str,
    version: int,
    changes: list[corrections.Change],
) -> None:
    """Keep one correction's changes, or refuse it (422, nothing written) when it changes nothing."""
    if not changes:
        raise corrections.nothing_changed()
    rows = corrections.history_rows(Correction, what, record_id, version, actor, clock.now(), changes)
    session.add_all(rows)


def correct_employer(
    session: Session, actor: Actor, clock: Clock, source: str, employer_id: object, data: Data
) -> Outcome[Employer]:
    """Correct an employer's name, sector, address or legal details, at the version the caller read.

    The Mission's services hear which fields changed and the employer's codes as they now stand
    (``events.corrected``, internal only); names and addresses stay in the history."""
    sent = corrections.sent_version(data)
    found = employer(session, employer_id)
    version = corrections.claim(session, found, Correction, EMPLOYER, sent)
    changes = corrections.apply(found, data, CORRECTABLE_EMPLOYER)
    _corrected(session, actor, clock, EMPLOYER, found.id, version, changes)
    return Outcome(found, internal(events.corrected(source, found, version, [c.field for c in changes])))


def reassign(
    session: Session, actor: Actor, clock: Clock, source: str, employer_id: object, data: Data
) -> Outcome[Employer]:
    """Hand an employer to another account manager, at the version the caller read; kept in the history."""
    sent = corrections.sent_version(data)
    found = employer(session, employer_id)
    version = corrections.claim(session, found, Correction, EMPLOYER, sent)
    changes = corrections.apply(found, data, ("account_manager",))
    if not changes:
        raise ValidationFailed({"account_manager": ["is already the employer's account manager"]})
    _corrected(session, actor, clock, EMPLOYER, found.id, version, changes)
    return Outcome(found)


def correct_contact(
    session: Session, actor: Actor, clock: Clock, source: str, employer_id: object, contact_id: object, data: Data
) -> Outcome[Contact]:
    """Correct a contact's name, function, phone or e-mail, at the version the caller read."""
    sent = corrections.sent_version(data)
    owner = employer(session, employer_id)
    found = session.get(Contact, contact_id) if isinstance(contact_id, str) else None
    if found is None or found.employer_id != owner.id:
        raise NotFound("contact", str(contact_id)[:64])
    version = corrections.claim(session, found, Correction, CONTACT, sent)
    _corrected(session, actor, clock, CONTACT, found.id, version, corrections.apply(found, data, CORRECTABLE_CONTACT))
    return Outcome(found)


def correction_history(session: Session, employer_id: object) -> Data:
    """The corrections of an employer, of each of its contacts and of each of its vacancies, latest first."""
    found = employer(session, employer_id)
    contact_ids = list(session.scalars(select(Contact.id).where(Contact.employer_id == found.id)))
    vacancy_ids = list(session.scalars(select(Vacancy.id).where(Vacancy.employer_id == found.id)))
    return {
        "employer": corrections.history(session, Correction, EMPLOYER, found.id),
        "contacts": {c: corrections.history(session, Correction, CONTACT, c) for c in contact_ids},
        "vacancies": {v: corrections.history(session, Correction, VACANCY, v) for v in vacancy_ids},
    }


def vacancy_corrections(session: Session, vacancy_id: object) -> list[Data]:
    """The corrections of one vacancy, latest first."""
    return corrections.history(session, Correction, VACANCY, vacancy(session, vacancy_id).id)
