"""Reporting in sector mode (InterMire): pseudonyms and counts from the sector events.

Runs on ``/intermire`` and sees only what the Missions' shovels carry there.
"""

from nameko.rpc import rpc
from sqlalchemy import func, select

from kit.events import event_handler
from kit.service import ServiceBase
from reporting.models import SectorEntry


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

    @rpc
    def sector_indicators(self):
        """Entries per Mission, and distinct people sector-wide (a person followed twice counts once)."""
        with self.db.session() as session:
            per_mission = dict(session.execute(
                select(SectorEntry.mission, func.count()).group_by(SectorEntry.mission)).all())
            people = session.scalar(select(func.count(func.distinct(SectorEntry.pseudonym))))
        return {"entries_by_mission": per_mission, "people": people}
