"""What the convention service publishes: internal, sector and agency forms.

Internal events carry references (project, convention, trainee), codes,
counts and dates. They name trainees by the convention's own ``trainee_id``,
never by the beneficiary reference: once a person is erased here, nothing
that left the service can be linked back to them. Sector events (InterMire)
carry codes, counts and months only. Agency events (``contracts.agency``)
carry a signed convention's terms and the job's place, to the agency of the
job's region: no person, no signer, no company name.
"""

from __future__ import annotations

from datetime import date

from contracts.agency.policy import disclose
from contracts.agency.routing import convention_recipients
from contracts.envelope import Event, make_event
from kit.reference import region_of

PREFIX = "be.mire.convention."
SIGNED = PREFIX + "signed.v1"
ACTIVATED = PREFIX + "activated.v1"
CANCELLED = PREFIX + "cancelled.v1"
TERMINATED = PREFIX + "terminated.v1"
COMPLETED = PREFIX + "completed.v1"
TRAINEE_ENROLLED = PREFIX + "trainee_enrolled.v1"
TRAINEE_DROPPED_OUT = PREFIX + "trainee_dropped_out.v1"
TRAINEE_COMPLETED = PREFIX + "trainee_completed.v1"
TRAINEE_HIRED = PREFIX + "trainee_hired.v1"
TRAINEE_NOT_HIRED = PREFIX + "trainee_not_hired.v1"
COMMITMENT_EVALUATED = PREFIX + "commitment_evaluated.v1"

# Which facts InterMire counts; the others stay in the Mission.
SECTOR_TYPES = frozenset({SIGNED, TRAINEE_ENROLLED, TRAINEE_HIRED, COMPLETED, COMMITMENT_EVALUATED})


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _terms(c) -> dict:
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
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
    }


class Publisher:
    """Builds one fact's events for every audience that may receive it."""

    def __init__(self, source: str, project, convention):
        self.source, self.project, self.convention = source, project, convention

    def _base(self) -> dict:
        c = self.convention
        return {"convention_id": c.id, "project_id": self.project.id, "kind": c.kind, "version": c.version}

    def build(self, type_: str, on: date, internal: dict | None = None, sector: dict | None = None) -> list[Event]:
        c = self.convention
        out = [
            make_event(
                source=self.source,
                type=type_,
                subject=c.id,
                data={
                    **self._base(),
                    "vacancy_id": self.project.vacancy_id,
                    "employer_id": self.project.employer_id,
                    "on": on.isoformat(),
                    **(internal or {}),
                },
            )
        ]
        if type_ in SECTOR_TYPES:
            out.append(
                make_event(
                    source=self.source,
                    type=type_,
                    audience="sector",
                    subject=c.id,
                    data={**self._base(), "month": _month(on), **(sector or {})},
                )
            )
        return out


def signed(pub: Publisher, on: date) -> list[Event]:
    terms = _terms(pub.convention)
    sector = {k: v for k, v in terms.items() if k not in ("start_date", "end_date")}
    return pub.build(SIGNED, on, terms, sector)


def signed_for_agencies(pub: Publisher, on: date, job_municipality: str | None) -> list[tuple[Event, str]]:
    """(event, agency) for the agency of the job's region (contracts.agency.routing)."""
    c = pub.convention
    region = region_of(job_municipality) if job_municipality else None
    facts = {
        **pub._base(),
        "signed_on": on.isoformat(),
        "job_municipality": job_municipality,
        "job_region": region,
        **_terms(c),
    }
    return [
        (
            make_event(
                source=pub.source, type=SIGNED, audience="agency", subject=c.id, data=disclose(agency, SIGNED, facts)
            ),
            agency,
        )
        for agency in convention_recipients(region)
    ]


def status_changed(pub: Publisher, type_: str, on: date, reason: str | None = None) -> list[Event]:
    return pub.build(type_, on, {"reason": reason} if reason else {})


def completed(pub: Publisher, on: date, counts: dict) -> list[Event]:
    return pub.build(COMPLETED, on, {"trainees": counts}, {"trainees": counts})


def trainee(pub: Publisher, type_: str, t, on: date, **extra) -> list[Event]:
    internal = {"trainee_id": t.id, "status": t.status, **extra}
    sector = {"status": t.status, "count": 1, **{k: v for k, v in extra.items() if k in ("contract_type", "reason")}}
    return pub.build(type_, on, internal, sector)


def commitment_evaluated(pub: Publisher, on: date) -> list[Event]:
    c = pub.convention
    data = {"hires_committed": c.hires_committed, "hires_actual": c.hires_actual, "outcome": c.commitment_outcome}
    return pub.build(COMMITMENT_EVALUATED, on, data, data)
