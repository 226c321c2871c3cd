"""What the convention service publishes: internal, sector and agency forms.

Internal events carry references (project, convention, trainee), codes,
counts and dates. They name trainees by the convention's own ``trainee_id``,
never by the beneficiary reference: once a person is erased here, nothing
that left the service can be linked back to them. Sector events (InterMire)
exist only for the facts its indicators count (a signature, an evaluated
commitment) and carry only what they read: the convention, the month, the
outcome (``contracts.sector``). Agency events (``contracts.agency``)
carry a signed convention's terms and the job's place, to the agency of the
job's region: no person, no signer, no company name.

Each event is built from its type's payload class (``contracts.internal``,
``contracts.sector``, ``contracts.agency.catalogue``): a field outside the
schema fails here, in the transaction that makes the change.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from contracts import internal, sector
from contracts.agency import catalogue as agency_types
from contracts.agency.disclosure import disclose
from contracts.agency.routing import convention_recipients
from contracts.envelope import Event
from contracts.payloads import build
from convention.models import Convention, Project, Trainee
from kit.reference import region_of

PREFIX = "be.mire.convention."
SIGNED = internal.ConventionSignedV1.TYPE
ACTIVATED = internal.ConventionActivatedV1.TYPE
CANCELLED = internal.ConventionCancelledV1.TYPE
TERMINATED = internal.ConventionTerminatedV1.TYPE
COMPLETED = internal.ConventionCompletedV1.TYPE
TRAINEE_ENROLLED = internal.TraineeEnrolledV1.TYPE
TRAINEE_DROPPED_OUT = internal.TraineeDroppedOutV1.TYPE
TRAINEE_COMPLETED = internal.TraineeCompletedV1.TYPE
TRAINEE_HIRED = internal.TraineeHiredV1.TYPE
TRAINEE_NOT_HIRED = internal.TraineeNotHiredV1.TYPE
COMMITMENT_EVALUATED = internal.CommitmentEvaluatedV1.TYPE

# Each fact's payload class in each audience; InterMire counts those with a sector form, the others stay in
# the Mission.
INTERNAL: dict[str, type[internal.Convention]] = {
    cls.TYPE: cls
    for cls in (
        internal.ConventionSignedV1,
        internal.ConventionActivatedV1,
        internal.ConventionCancelledV1,
        internal.ConventionTerminatedV1,
        internal.ConventionCompletedV1,
        internal.TraineeEnrolledV1,
        internal.TraineeDroppedOutV1,
        internal.TraineeCompletedV1,
        internal.TraineeHiredV1,
        internal.TraineeNotHiredV1,
        internal.CommitmentEvaluatedV1,
    )
}
SECTOR: dict[str, type[sector.Convention]] = {
    cls.TYPE: cls
    for cls in (
        sector.ConventionSignedV1,
        sector.CommitmentEvaluatedV1,
    )
}
SECTOR_TYPES = frozenset(SECTOR)


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _terms(c: Convention) -> dict[str, Any]:
    if c.kind == "employer":
        return {
            "hires_committed": c.hires_committed,
            "contract_type": c.contract_type,
            "hours_per_week": c.hours_per_week,
        }
    return {
        "trainees_planned": c.trainees_planned,
        "hours_centre": c.hours_centre,
        "hours_work": c.hours_work,
        "start_date": c.start_date,
        "end_date": c.end_date,
    }


class EventBuilder:
    """Builds one fact's events about a convention, for every audience that may receive it."""

    def __init__(self, source: str, project: Project, convention: Convention):
        self.source, self.project, self.convention = source, project, convention

    def _base(self) -> dict[str, Any]:
        c = self.convention
        return {"convention_id": c.id, "project_id": self.project.id, "kind": c.kind, "version": c.version}

    def build(
        self, type_: str, on: date, internal: dict[str, Any] | None = None, sector: dict[str, Any] | None = None
    ) -> list[Event]:
        c = self.convention
        facts = INTERNAL[type_](
            **self._base(),
            vacancy_id=self.project.vacancy_id,
            employer_id=self.project.employer_id,
            on=on,
            **(internal or {}),
        )
        out = [build(facts, source=self.source, subject=c.id)]
        if type_ in SECTOR:
            counted = SECTOR[type_](convention_id=c.id, month=_month(on), **(sector or {}))
            out.append(build(counted, source=self.source, subject=c.id))
        return out


def signed(pub: EventBuilder, on: date) -> list[Event]:
    return pub.build(SIGNED, on, _terms(pub.convention))


def signed_for_agencies(pub: EventBuilder, on: date, job_municipality: str | None) -> list[tuple[Event, str]]:
    """(event, agency) for the agency of the job's region (contracts.agency.routing)."""
    c = pub.convention
    region = region_of(job_municipality) if job_municipality else None
    payload = agency_types.ConventionSigned(
        **pub._base(),
        signed_on=on,
        job_municipality=job_municipality,
        job_region=cast(agency_types.Region | None, region),  # checked against the contract when built
        **_terms(c),
    )
    return [
        (build(disclose(agency, payload), source=pub.source, subject=c.id), agency)
        for agency in convention_recipients(region)
    ]


def status_changed(pub: EventBuilder, type_: str, on: date, reason: str | None = None) -> list[Event]:
    return pub.build(type_, on, {"reason": reason} if reason else {})


def completed(pub: EventBuilder, on: date, counts: dict[str, int]) -> list[Event]:
    return pub.build(COMPLETED, on, {"trainees": counts})


def trainee(pub: EventBuilder, type_: str, t: Trainee, on: date, **extra: Any) -> list[Event]:
    return pub.build(type_, on, {"trainee_id": t.id, "status": t.status, **extra})


def commitment_evaluated(pub: EventBuilder, on: date) -> list[Event]:
    c = pub.convention
    data = {"hires_committed": c.hires_committed, "hires_actual": c.hires_actual, "outcome": c.commitment_outcome}
    return pub.build(COMMITMENT_EVALUATED, on, data, {"outcome": c.commitment_outcome})
