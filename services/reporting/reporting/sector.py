"""Reporting in sector mode (InterMire): pseudonyms and counts from the sector events.

Runs on ``/intermire`` and sees only what the Missions' shovels carry there.
A Mission's erasure of a person is forgotten here too, the figures kept as
residue (``reporting.forget``). When a pseudonym arrives from a second Mission, it signals every Mission
that follows the person (``followed_elsewhere``), through the broker. A
sector key rotation renames pseudonyms; ``reporting.rekey`` keeps each
person counted once across it.
"""

from datetime import datetime

from sqlalchemy import select

from contracts import sector, signal
from contracts.catalogue import load
from contracts.payloads import build
from kit import outbox
from kit.actor import Caller
from kit.consumer import event_handler
from kit.entrypoint import entrypoint
from kit.registry import load as load_registry
from kit.rpc import Budget
from kit.service import ServiceBase
from reporting import application as app
from reporting import cache, directory, forget, rekey
from reporting import catalogue as cat
from reporting import retention as sector_retention
from reporting.application import fact_month
from reporting.ingest import codes
from reporting.models import SectorEntry, SectorFact
from reporting.periods import parse
from reporting.service import FACT_BATCH

FOLLOWED_ELSEWHERE = signal.FollowedElsewhereV1.TYPE
PSEUDONYM_REKEYED = sector.PseudonymRekeyedV1.TYPE
FORGOTTEN = sector.BeneficiaryForgottenV1.TYPE
DIRECTORY = frozenset(cls.TYPE for cls in sector.DIRECTORY)


def mission_of(source: str) -> str:
    # /missions/<code>/<service>
    parts = source.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "missions":
        raise ValueError("sector event source is not a Mission's")
    return parts[1]


def registry_missions() -> list[tuple[str, str]]:
    """(code, basin) of every Mission of the registry, in its order."""
    try:
        return [(s.code, s.basin) for s in load_registry().sites if s.kind == "mission"]
    except Exception:  # a test registry elsewhere: Missions are then named by the facts themselves
        return []


class SectorReportingService(ServiceBase):
    name = "reporting"
    caller = Caller()
    budget = Budget()  # when the caller stops waiting: heavy work past it stops (kit.work)

    @event_handler("be.mire.beneficiary.registered.v1", source="sector")
    def on_sector_beneficiary_registered(self, event):
        with self.db.once(event) as session:
            if session is None:
                return
            d = load(event, sector.BeneficiaryRegisteredV1)
            mission = mission_of(event.source)
            if forget.forgotten_among(session, mission, {d.pseudonym}):
                forget.refuse(mission)  # erased by that Mission: a replay does not bring the person back
                return
            pseudonym = rekey.resolve(session, d.pseudonym)  # a Mission not yet rekeyed sends the old one
            session.merge(
                SectorEntry(
                    mission=mission,
                    pseudonym=pseudonym,
                    month=d.registered_month,
                    age_band=d.age_band,
                )
            )
            session.flush()
            missions = sorted(
                session.scalars(select(SectorEntry.mission).where(SectorEntry.pseudonym == pseudonym)).all()
            )
            if len(missions) > 1:
                # Tell each Mission that follows this person that others do too; the
                # pseudonym is all that travels, and only to Missions that already hold it.
                for mission in missions:
                    outbox.add(
                        session,
                        build(
                            signal.FollowedElsewhereV1(pseudonym=pseudonym, missions=missions),
                            source=self.site.source,
                            subject=pseudonym,
                        ),
                        to=mission,
                    )

    @event_handler(PSEUDONYM_REKEYED, source="sector")
    def on_pseudonym_rekeyed(self, event):
        """A Mission re-derived a person's pseudonym under the new sector key: one person still."""
        with self.db.once(event) as session:
            if session is None:
                return
            d = load(event, sector.PseudonymRekeyedV1)
            rekey.record(session, d.previous_pseudonym, d.pseudonym, d.pseudonym_key)
        cache.bump(self.site.code)

    # Eleven Missions feed these two logs: taken in batches, as the Missions' own fact logs are.
    # The employer side's facts and the conventions' share one queue (two bindings): both are about an organisation,
    # never a person, and are logged alike, so a queue of their own would only add a quorum queue and its dead
    # letters for the broker to recover at every start. The queue keeps its first name: renaming it would leave
    # the old one, with whatever it holds, behind on a running broker.
    @event_handler("be.mire.employer.*.v1", "be.mire.convention.*.v1", source="sector", batch=FACT_BATCH)
    def on_sector_employer_fact(self, events):
        """The employer side's sector facts: vacancies prospected and filled (by code and month), conventions
        signed and employer commitments evaluated (the month and the outcome)."""
        self._record(events)

    @event_handler("be.mire.beneficiary.*.v1", source="sector", batch=FACT_BATCH)
    def on_sector_fact(self, events):
        """Log every pseudonymous fact the Missions send; the three headline counts come from here."""
        self._record(events)

    def _record(self, events):
        with self.db.once_each(events) as (session, fresh):
            people = {(mission_of(e.source), e.data.get("pseudonym") or e.subject) for e in fresh}
            forgotten = {
                (mission, name)
                for mission in {m for m, _ in people}
                for name in forget.forgotten_among(session, mission, {p for m, p in people if m == mission and p})
            }
            for event in fresh:
                if event.type == PSEUDONYM_REKEYED or event.type in DIRECTORY:
                    continue  # not a fact of anyone's path: on_pseudonym_rekeyed's, on_partner_directory's
                mission = mission_of(event.source)
                if event.type == FORGOTTEN:
                    # In the batch's order: the person's facts logged before it are kept as residue only.
                    d = load(event, sector.BeneficiaryForgottenV1)
                    session.flush()
                    forget.forget(session, mission, d.pseudonym, d.erased_month)
                    forgotten |= {(mission, name) for name in forget.pseudonyms_of(session, d.pseudonym)}
                    continue
                if (
                    event.type.startswith(cat.B)
                    and (mission, event.data.get("pseudonym") or event.subject) in forgotten
                ):
                    forget.refuse(mission)  # a replayed fact of someone the Mission erased: never stored again
                    continue
                # Only what the catalogue needs is kept, whatever a Mission on an older contract still sends.
                kept = cat.minimal(event.type, event.data)
                if kept is None:
                    continue  # a fact no sector indicator counts
                session.add(
                    SectorFact(
                        event_id=event.id,
                        mission=mission_of(event.source),
                        type=event.type,
                        pseudonym=kept.get("pseudonym") or event.subject,
                        month=fact_month(event),
                        data={k: v for k, v in kept.items() if k != "pseudonym"},
                        **codes(event.type, kept, event.time, event.subject, sector=True),
                    )
                )
        cache.bump(self.site.code)

    # The partner directory's events also match the employer side's binding above, which skips them: the queue
    # of facts stays as it is, and the directory has its own, in the order each Mission sent them.
    @event_handler(*sorted(DIRECTORY), source="sector")
    def on_partner_directory(self, event):
        """A Mission shared a partner organisation (as it now stands) or stopped sharing it."""
        with self.db.once(event) as session:
            if session is None:
                return
            told = datetime.fromisoformat(event.time)
            directory.apply(session, mission_of(event.source), load(event, sector.DIRECTORY), told)

    @entrypoint("reporting.sector", reads=True)
    def sector_partners(self, found=None, page=1, page_size=25):
        """The partner organisations the Missions share, with their services and the Mission, by name."""
        return directory.search(self.unit.session, found or {}, page, page_size)

    @event_handler("be.mire.reporting.*.v1", source="sector")
    def on_period_submission(self, event):
        """A Mission submitted or approved its figures for a period: InterMire's view of who has submitted."""
        with self.db.once(event) as session:
            if session is None:
                return
            app.record_sector_submission(session, event, mission_of(event.source))

    @entrypoint("reporting.sector", session=False)
    def sector_submissions(self, period):
        """Which Missions have submitted their figures for a period: status, versions, figures changed."""
        return app.sector_submissions(self.db, [code for code, _ in registry_missions()], period)

    def _facts(self):
        return app.sector_facts(self.db, self.site.code, registry_missions)

    def _kept(self, period):
        """A period whose facts the retention dropped is refused, not answered as zeros."""
        with self.db.session() as session:
            sector_retention.check_period(session, parse(period))

    @entrypoint("retention.apply", session=False)
    def apply_retention(self, periods=None, dry_run=True):
        """Sent outbox and inbox rows, and sector facts older than ``sector_facts_years`` (``reporting.retention``),
        purged; with ``dry_run`` (the default) only counted."""
        answer = sector_retention.apply(self.db.transaction, self.clock.now(), periods, dry_run)
        if not answer["dry_run"]:
            cache.bump(self.site.code)
        return answer

    @entrypoint("reporting.sector", session=False)
    def sector_catalogue(self):
        """The indicator catalogue as InterMire computes it (sector events only)."""
        return cat.CATALOGUE.describe("sector")

    @entrypoint("reporting.sector", session=False)
    def sector_table(self, name, period, columns="target_group", rows=None):
        """One indicator for a quarter or a year: Missions × ``columns`` (or ``rows`` × ``columns``, two
        breakdowns sector-wide), small cells hidden (``null``) and flagged.

        Sector totals count a person followed by two Missions once.
        """
        self._kept(period)
        return app.published(self.site.code, self._facts(), "sector", name, period, columns, self.budget, rows)

    @entrypoint("reporting.sector_export", session=False)
    def sector_export(self, period, format="csv"):  # noqa: A002 - the API's own word
        """The sector's published figures for funders, CSV or XLSX (base64), with a Youth Guarantee table."""
        self._kept(period)
        return app.export(self.site.code, self._facts(), "sector", period, format, self.budget)

    @entrypoint("reporting.sector", reads=True)
    def sector_indicators(self):
        """Entries per Mission, and distinct people sector-wide (a person followed twice counts once)."""
        return app.sector_indicators(self.unit.session)
