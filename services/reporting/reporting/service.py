"""Reporting in mission mode: the Mission's own indicators, from its internal events."""

from nameko.rpc import rpc
from sqlalchemy import func, select

from kit.events import event_handler
from kit.service import ServiceBase
from reporting.models import EmployerFact, Entry


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

    @rpc
    def indicators(self):
        """Counts so far: people entered and employers registered."""
        with self.db.session() as session:
            return {
                "entries": session.scalar(select(func.count()).select_from(Entry)),
                "employers": session.scalar(select(func.count()).select_from(EmployerFact)),
            }
