"""Reporting in sector mode (InterMire): pseudonyms and counts from the sector events.

Runs on ``/intermire`` and sees only what the Missions' shovels carry there.
When a pseudonym arrives from a second Mission, it signals every Mission
that follows the person (``followed_elsewhere``), through the broker.
"""

from nameko.rpc import rpc
from sqlalchemy import func, select

from contracts.envelope import make_event
from kit import outbox
from kit.events import event_handler
from kit.service import ServiceBase
from reporting.models import SectorEntry, SectorFact
from reporting.service import fact_month

FOLLOWED_ELSEWHERE = "be.mire.reporting.followed_elsewhere.v1"


def mission_of(source: str) -> str:
    # /missions/<code>/<service>
    parts = source.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "missions":
        raise ValueError("sector event source is not a Mission's")
    return parts[1]


class SectorReportingService(ServiceBase):
    name = "reporting"

    @event_handler("be.mire.beneficiary.registered.v1", source="sector")
    def on_sector_beneficiary_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            d = event.data
            session.merge(SectorEntry(mission=mission_of(event.source), pseudonym=d["pseudonym"],
                                      month=d["registered_month"], age_band=d["age_band"]))
            session.flush()
            missions = sorted(session.scalars(select(SectorEntry.mission)
                                              .where(SectorEntry.pseudonym == d["pseudonym"])).all())
            if len(missions) > 1:
                # Tell each Mission that follows this person that others do too; the
                # pseudonym is all that travels, and only to Missions that already hold it.
                for mission in missions:
                    outbox.add(session, make_event(
                        source=self.site.source, type=FOLLOWED_ELSEWHERE, audience="signal",
                        subject=d["pseudonym"], data={"pseudonym": d["pseudonym"], "missions": missions}),
                        to=mission)

    @event_handler("be.mire.employer.*.v1", source="sector")
    def on_sector_employer_fact(self, event):
        """Employer-side sector facts: vacancies prospected and filled, by code and month."""
        self._record(event)

    @event_handler("be.mire.beneficiary.*.v1", source="sector")
    def on_sector_fact(self, event):
        """Log every pseudonymous fact the Missions send; the three headline counts come from here."""
        self._record(event)

    def _record(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            data = {k: v for k, v in event.data.items() if k != "pseudonym"}
            session.add(SectorFact(event_id=event.id, mission=mission_of(event.source), type=event.type,
                                   pseudonym=event.data.get("pseudonym") or event.subject, month=fact_month(event),
                                   data=data))

    @rpc
    def sector_indicators(self):
        """Entries per Mission, and distinct people sector-wide (a person followed twice counts once)."""
        with self.db.session() as session:
            per_mission = dict(session.execute(
                select(SectorEntry.mission, func.count()).group_by(SectorEntry.mission)).all())
            people = session.scalar(select(func.count(func.distinct(SectorEntry.pseudonym))))
            headline = {}
            for name, type_ in (("first_contracts", "contract_signed"),
                                ("employed_after_6_months", "employment_confirmed_6m")):
                headline[name] = session.scalar(select(func.count(func.distinct(SectorFact.pseudonym))).where(
                    SectorFact.type == f"be.mire.beneficiary.{type_}.v1"))
        return {"entries_by_mission": per_mission, "people": people, **headline}
