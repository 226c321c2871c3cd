"""Reporting in mission mode: the Mission's own indicators, from its internal events."""

from nameko.rpc import rpc
from sqlalchemy import func, select, update

from kit.events import event_handler
from kit.service import ServiceBase
from reporting.models import EmployerFact, Entry, ErasedSubject, Fact

ERASED = "be.mire.beneficiary.erased.v1"


def fact_month(event) -> str:
    """The month a fact belongs to: its own date when it has one, else when it was published."""
    data = event.data
    for key in ("on", "signed_on", "registered_on", "assessed_on", "checked_on", "registered_month", "month"):
        if isinstance(data.get(key), str) and len(data[key]) >= 7:
            return data[key][:7]
    return event.time[:7]


class ReportingService(ServiceBase):
    name = "reporting"

    @event_handler("be.mire.beneficiary.registered.v1")
    def on_beneficiary_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            d = event.data
            session.merge(Entry(beneficiary_id=d["beneficiary_id"], month=d["registered_on"][:7],
                                municipality=d["municipality"], gender=d["gender"], age_band=d["age_band"]))

    @event_handler("be.mire.employer.registered.v1")
    def on_employer_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            d = event.data
            session.merge(EmployerFact(employer_id=d["employer_id"], month=d["registered_month"], nace=d["nace"]))

    @event_handler("be.mire.beneficiary.*.v1")
    def on_beneficiary_fact(self, event):
        """Log every fact of a person's path; an erasure makes the person's facts anonymous."""
        with self.db.once(event) as session:
            if session is None:
                return
            subject = event.data.get("beneficiary_id") or event.subject or "unknown"
            if event.type == ERASED:
                session.merge(ErasedSubject(subject=subject))
                session.execute(update(Fact).where(Fact.subject == subject).values(subject="erased"))
                session.execute(update(Entry).where(Entry.beneficiary_id == subject)
                                .values(beneficiary_id=event.id))  # a key that names no one, within 36
                return
            if session.get(ErasedSubject, subject) is not None:
                subject = "erased"  # a replayed fact of someone erased since stays anonymous
            data = {k: v for k, v in event.data.items() if k != "beneficiary_id"}
            session.add(Fact(event_id=event.id, type=event.type, subject=subject, month=fact_month(event),
                             data=data))

    @event_handler("be.mire.employer.*.v1")
    def on_employer_fact(self, event):
        """Log every employer-side fact (employers registered, vacancies opened, filled, closed)."""
        self._log_fact(event, event.data.get("vacancy_id") or event.data.get("employer_id"))

    @event_handler("be.mire.convention.*.v1")
    def on_convention_fact(self, event):
        """Log every convention fact (signed, activated, trainees enrolled and hired, commitments evaluated)."""
        self._log_fact(event, event.data.get("convention_id"))

    @event_handler("be.mire.matching.*.v1")
    def on_matching_fact(self, event):
        """Log every proposal step (made, presented, interview, hired, rejected, withdrawn)."""
        self._log_fact(event, event.data.get("proposal_id"))

    def _log_fact(self, event, subject):
        with self.db.once(event) as session:
            if session is None:
                return
            session.add(Fact(event_id=event.id, type=event.type, subject=subject or event.subject or "unknown",
                             month=fact_month(event), data=dict(event.data)))

    @rpc
    def indicators(self):
        """Counts so far: people entered and employers registered."""
        with self.db.session() as session:
            by_type = dict(session.execute(select(Fact.type, func.count()).group_by(Fact.type)).all())
            return {
                "entries": session.scalar(select(func.count()).select_from(Entry)),
                "employers": session.scalar(select(func.count()).select_from(EmployerFact)),
                "facts": {t.split(".")[3]: n for t, n in sorted(by_type.items())},
            }
