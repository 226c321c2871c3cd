"""What the beneficiary service publishes, in each audience's form.

* internal — the Mission's other services: references, codes, dates; never a
  name, a national number, a note or target-group evidence;
* sector — InterMire: the keyed pseudonym, months, codes and bands;
* agency — Le Forem or Actiris, as the agency contract says
  (``contracts.agency``): routed by the region of residence (and of the job,
  for a contract) under a legal basis, or anywhere under consent; the
  agency's own file reference, dates and codes, shaped by that agency's
  field policy (sensitive referrers and target groups generalised).
"""

from __future__ import annotations

from datetime import date

from beneficiary.domain import age_band
from contracts.agency import catalogue as agency_types
from contracts.agency.policy import disclose
from contracts.agency.routing import person_recipients
from contracts.envelope import Event, make_event
from kit.reference import region_of

PREFIX = "be.mire.beneficiary."
REGISTERED = PREFIX + "registered.v1"
ASSESSED = PREFIX + "assessed.v1"
PLAN_AGREED = PREFIX + "plan_agreed.v1"
STAGE_CHANGED = PREFIX + "stage_changed.v1"
DROPPED_OUT = PREFIX + "dropped_out.v1"
CONTRACT_SIGNED = PREFIX + "contract_signed.v1"
EMPLOYED_6M = PREFIX + "employment_confirmed_6m.v1"
NOT_EMPLOYED_6M = PREFIX + "employment_not_confirmed_6m.v1"
EXITED = PREFIX + "exited.v1"
ERASED = PREFIX + "erased.v1"
# Sector only: a person's pseudonym re-derived under the current sector key (ARCHITECTURE.md, key rotation).
PSEUDONYM_REKEYED = PREFIX + "pseudonym_rekeyed.v1"
FORGET_REQUESTED = agency_types.FORGET_REQUESTED


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _groups(groups) -> list[str]:
    return sorted({g.group for g in groups})


def _sector_groups(groups) -> list[str]:
    # InterMire counts per target group; sensitive groups are counted, never evidenced.
    return _groups(groups)


class Publisher:
    """Builds one fact's events for every audience that may receive it."""

    def __init__(self, source: str, person, groups=(), disclosures=()):
        self.source, self.person = source, person
        self.groups = list(groups)
        self.disclosures = [d for d in disclosures if d.withdrawn_on is None]

    def internal(self, type_: str, data: dict) -> Event:
        return make_event(
            source=self.source, type=type_, subject=self.person.id, data={"beneficiary_id": self.person.id, **data}
        )

    def sector(self, type_: str, data: dict) -> Event:
        p = self.person
        return make_event(
            source=self.source,
            type=type_,
            audience="sector",
            subject=p.pseudonym,
            data={
                "pseudonym": p.pseudonym,
                "pseudonym_key": p.pseudonym_key,
                "gender": p.gender,
                "municipality": p.municipality,
                "age_band": age_band(p.birth_date, p.registered_on),
                "target_groups": _sector_groups(self.groups),
                **data,
            },
        )

    def agency(self, type_: str, data: dict, job_municipality: str | None = None) -> list[tuple[Event, str]]:
        """(event, agency) for each agency the fact concerns under a disclosure on record."""
        regions = [region_of(self.person.municipality), region_of(job_municipality) if job_municipality else None]
        out = []
        for d in person_recipients(self.disclosures, regions):
            facts = {
                "agency_reference": d.agency_reference,
                "basis": d.basis,
                "referrer_type": self.person.referrer_type,
                "target_groups": _groups(self.groups),
                **data,
            }
            out.append(
                (
                    make_event(
                        source=self.source,
                        type=type_,
                        audience="agency",
                        subject=d.agency_reference,
                        data=disclose(d.agency, type_, facts),
                    ),
                    d.agency,
                )
            )
        return out


def registered(pub: Publisher) -> tuple[list[Event], list[tuple[Event, str]]]:
    p = pub.person
    common = {"registered_on": p.registered_on.isoformat()}
    internal = pub.internal(
        REGISTERED,
        {
            **common,
            "municipality": p.municipality,
            "gender": p.gender,
            "age_band": age_band(p.birth_date, p.registered_on),
            "target_groups": _groups(pub.groups),
        },
    )
    sector = pub.sector(REGISTERED, {"registered_month": _month(p.registered_on)})
    return [internal, sector], pub.agency(REGISTERED, common)


def assessed(pub: Publisher, assessment) -> list[Event]:
    return [
        pub.internal(
            ASSESSED,
            {
                "municipality": pub.person.municipality,
                "assessed_on": assessment.assessed_on.isoformat(),
                "competences": [
                    {"code": c["code"], "level": c["level"], "kind": c["kind"]} for c in assessment.competences
                ],
            },
        )
    ]


def plan_agreed(pub: Publisher, plan) -> list[Event]:
    return [
        pub.internal(
            PLAN_AGREED,
            {
                "version": plan.version,
                "target_occupations": plan.target_occupations,
                "missing_competences": plan.missing_competences,
                "contract_wishes": plan.contract_wishes,
                "hours_wish": plan.hours_wish,
                "mobility_km": plan.mobility_km,
                "available_from": plan.available_from.isoformat() if plan.available_from else None,
                "municipality": pub.person.municipality,
                "actions": sorted({a["kind"] for a in plan.actions}),
            },
        )
    ]


def stage_changed(pub: Publisher, from_stage, to_stage, kind: str, on: date) -> list[Event]:
    data = {"from_stage": from_stage, "to_stage": to_stage, "kind": kind, "on": on.isoformat()}
    return [pub.internal(STAGE_CHANGED, data), pub.sector(STAGE_CHANGED, {**data, "month": _month(on)})]


def dropped_out(pub: Publisher, stage: str, reason: str, on: date):
    data = {"stage": stage, "reason": reason, "on": on.isoformat()}
    return (
        [pub.internal(DROPPED_OUT, data), pub.sector(DROPPED_OUT, {**data, "month": _month(on)})],
        pub.agency(DROPPED_OUT, {"on": on.isoformat()}),
    )


def contract_signed(pub: Publisher, contract):
    data = {
        "signed_on": contract.signed_on.isoformat(),
        "contract_type": contract.contract_type,
        "hours_per_week": contract.hours_per_week,
    }
    return (
        [
            pub.internal(
                CONTRACT_SIGNED,
                {**data, "employer_id": contract.employer_id, "check_due": contract.check_due.isoformat()},
            ),
            pub.sector(CONTRACT_SIGNED, {**data, "month": _month(contract.signed_on)}),
        ],
        pub.agency(CONTRACT_SIGNED, data, contract.workplace_municipality),
    )


def six_month_outcome(pub: Publisher, contract):
    type_ = EMPLOYED_6M if contract.still_employed else NOT_EMPLOYED_6M
    data = {
        "signed_on": contract.signed_on.isoformat(),
        "checked_on": contract.checked_on.isoformat(),
        "source": contract.check_source,
    }
    return (
        [pub.internal(type_, data), pub.sector(type_, {**data, "month": _month(contract.signed_on)})],
        pub.agency(
            type_, {"signed_on": data["signed_on"], "checked_on": data["checked_on"]}, contract.workplace_municipality
        ),
    )


def exited(pub: Publisher, reason: str, on: date) -> list[Event]:
    data = {"reason": reason, "on": on.isoformat()}
    return [pub.internal(EXITED, data), pub.sector(EXITED, {**data, "month": _month(on)})]


def forget_requested(pub: Publisher, disclosure, reason: str, on: date) -> tuple[Event, str]:
    """Tell an agency to delete what it received about the person: consent withdrawn, basis ended, erased."""
    data = disclose(
        disclosure.agency,
        FORGET_REQUESTED,
        {"agency_reference": disclosure.agency_reference, "reason": reason, "requested_on": on.isoformat()},
    )
    return (
        make_event(
            source=pub.source, type=FORGET_REQUESTED, audience="agency", subject=disclosure.agency_reference, data=data
        ),
        disclosure.agency,
    )


def erased(pub: Publisher) -> list[Event]:
    return [pub.internal(ERASED, {})]


def pseudonym_rekeyed(source: str, previous: str, person) -> Event:
    """To InterMire only: ``previous`` now reads ``person.pseudonym`` (no other field: nothing else changed)."""
    return make_event(
        source=source,
        type=PSEUDONYM_REKEYED,
        audience="sector",
        subject=person.pseudonym,
        data={"previous_pseudonym": previous, "pseudonym": person.pseudonym, "pseudonym_key": person.pseudonym_key},
    )
