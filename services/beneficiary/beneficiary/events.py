"""What the beneficiary service publishes, in each audience's form.

* internal — the Mission's other services: references, codes, dates; never a
  name, a national number, a note or target-group evidence;
* sector — InterMire: the keyed pseudonym, months, codes and bands, only
  what its indicators read (``contracts.sector``);
* agency — Le Forem or Actiris, as the agency contract says
  (``contracts.agency``): routed by the region of residence (and of the job,
  for a contract) under a legal basis, or anywhere under consent; the
  agency's own file reference, dates and codes, shaped by that agency's
  field policy (sensitive referrers and target groups generalised).

Each event is built from its type's payload class (``contracts.internal``,
``contracts.sector``, ``contracts.agency.catalogue``): a field outside the
schema fails here, in the transaction that makes the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from beneficiary.domain import age_band
from contracts import internal, sector
from contracts.agency import catalogue as agency_types
from contracts.agency.disclosure import disclose, generalise_referrer, visible_target_groups
from contracts.agency.routing import person_recipients
from contracts.envelope import Event
from contracts.payloads import build
from kit.reference import region_of

PREFIX = "be.mire.beneficiary."
REGISTERED = internal.BeneficiaryRegisteredV1.TYPE
ASSESSED = internal.BeneficiaryAssessedV1.TYPE
PLAN_AGREED = internal.BeneficiaryPlanAgreedV1.TYPE
STAGE_CHANGED = internal.BeneficiaryStageChangedV1.TYPE
DROPPED_OUT = internal.BeneficiaryDroppedOutV1.TYPE
CONTRACT_SIGNED = internal.BeneficiaryContractSignedV1.TYPE
EMPLOYED_6M = internal.BeneficiaryEmployedAfterSixMonthsV1.TYPE
NOT_EMPLOYED_6M = internal.BeneficiaryNotEmployedAfterSixMonthsV1.TYPE
EXITED = internal.BeneficiaryExitedV1.TYPE
REOPENED = internal.BeneficiaryReopenedV1.TYPE
CORRECTED = internal.BeneficiaryCorrectedV1.TYPE
ERASED = internal.BeneficiaryErasedV1.TYPE
MERGED = internal.BeneficiaryMergedV1.TYPE
# Sector only: a person's pseudonym re-derived under the current sector key (ARCHITECTURE.md, key rotation).
PSEUDONYM_REKEYED = sector.PseudonymRekeyedV1.TYPE
# Sector only: the person was erased here; InterMire forgets the pseudonym's facts from this Mission.
FORGOTTEN = sector.BeneficiaryForgottenV1.TYPE
FORGET_REQUESTED = agency_types.FORGET_REQUESTED


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _groups(groups) -> list[str]:
    return sorted({g.group for g in groups})


class EventBuilder:
    """Builds one fact's events about a person, for every audience that may receive it."""

    def __init__(self, source: str, person, groups=(), disclosures=()):
        self.source, self.person = source, person
        self.groups = list(groups)
        self.disclosures = [d for d in disclosures if d.withdrawn_on is None]

    def internal(self, payload: internal.Beneficiary) -> Event:
        return build(payload, source=self.source, subject=self.person.id)

    def person_facts(self) -> dict[str, Any]:
        """The fields every sector fact about the person carries (``contracts.sector.Person``)."""
        p = self.person
        return {
            "pseudonym": p.pseudonym,
            "pseudonym_key": p.pseudonym_key,
            "gender": p.gender,
            "municipality": p.municipality,
            "age_band": age_band(p.birth_date, p.registered_on),
            # InterMire counts per target group, never evidenced, and a special category only where one of
            # its indicators names the legal basis for it (contracts.sector.TARGET_GROUPS).
            "target_groups": sector.sector_target_groups(_groups(self.groups)),
        }

    def sector(self, payload: sector.Person) -> Event:
        return build(payload, source=self.source, subject=self.person.pseudonym)

    def agency(
        self, make: Callable[..., agency_types.PersonFacts], job_municipality: str | None = None, **facts: Any
    ) -> list[tuple[Event, str]]:
        """(event, agency) for each agency the fact concerns under a disclosure on record."""
        regions = [region_of(self.person.municipality), region_of(job_municipality) if job_municipality else None]
        out = []
        for d in person_recipients(self.disclosures, regions):
            payload = make(
                agency_reference=d.agency_reference,
                basis=d.basis,
                referrer_type=generalise_referrer(self.person.referrer_type),
                target_groups=visible_target_groups(_groups(self.groups)),
                **facts,
            )
            out.append((build(disclose(d.agency, payload), source=self.source, subject=d.agency_reference), d.agency))
        return out


def registered(pub: EventBuilder) -> tuple[list[Event], list[tuple[Event, str]]]:
    p = pub.person
    facts = pub.person_facts()
    internal_event = pub.internal(
        internal.BeneficiaryRegisteredV1(
            beneficiary_id=p.id,
            registered_on=p.registered_on,
            municipality=p.municipality,
            gender=p.gender,
            age_band=facts["age_band"],
            target_groups=_groups(pub.groups),
        )
    )
    sector_event = pub.sector(sector.BeneficiaryRegisteredV1(**facts, registered_month=_month(p.registered_on)))
    return [internal_event, sector_event], pub.agency(agency_types.BeneficiaryRegistered, registered_on=p.registered_on)


def assessed(pub: EventBuilder, assessment) -> list[Event]:
    return [
        pub.internal(
            internal.BeneficiaryAssessedV1(
                beneficiary_id=pub.person.id,
                municipality=pub.person.municipality,
                assessed_on=assessment.assessed_on,
                competences=[
                    internal.Competence(code=c["code"], level=c["level"], kind=c["kind"])
                    for c in assessment.competences
                ],
            )
        )
    ]


def plan_agreed(pub: EventBuilder, plan) -> list[Event]:
    return [
        pub.internal(
            internal.BeneficiaryPlanAgreedV1(
                beneficiary_id=pub.person.id,
                version=plan.version,
                target_occupations=plan.target_occupations,
                missing_competences=plan.missing_competences,
                contract_wishes=plan.contract_wishes,
                hours_wish=plan.hours_wish,
                mobility_km=plan.mobility_km,
                available_from=plan.available_from,
                municipality=pub.person.municipality,
                actions=sorted({a["kind"] for a in plan.actions}),
            )
        )
    ]


def stage_changed(pub: EventBuilder, from_stage, to_stage, kind: str, on: date) -> list[Event]:
    data: dict[str, Any] = {"from_stage": from_stage, "to_stage": to_stage, "kind": kind, "on": on}
    return [
        pub.internal(internal.BeneficiaryStageChangedV1(beneficiary_id=pub.person.id, **data)),
        pub.sector(sector.BeneficiaryStageChangedV1(**pub.person_facts(), month=_month(on))),
    ]


def dropped_out(pub: EventBuilder, stage: str, reason: str, on: date):
    data: dict[str, Any] = {"stage": stage, "reason": reason, "on": on}
    return (
        [
            pub.internal(internal.BeneficiaryDroppedOutV1(beneficiary_id=pub.person.id, **data)),
            pub.sector(sector.BeneficiaryDroppedOutV1(**pub.person_facts(), month=_month(on))),
        ],
        pub.agency(agency_types.BeneficiaryDroppedOut, on=on),
    )


def contract_signed(pub: EventBuilder, contract):
    data: dict[str, Any] = {
        "signed_on": contract.signed_on,
        "contract_type": contract.contract_type,
        "hours_per_week": contract.hours_per_week,
    }
    return (
        [
            pub.internal(
                internal.BeneficiaryContractSignedV1(
                    beneficiary_id=pub.person.id, **data, employer_id=contract.employer_id, check_due=contract.check_due
                )
            ),
            pub.sector(sector.BeneficiaryContractSignedV1(**pub.person_facts(), month=_month(contract.signed_on))),
        ],
        pub.agency(agency_types.BeneficiaryContractSigned, contract.workplace_municipality, **data),
    )


def six_month_outcome(pub: EventBuilder, contract):
    kinds: tuple[type[internal.BeneficiarySixMonthOutcome], type[sector.BeneficiarySixMonthOutcome], Any]
    if contract.still_employed:
        kinds = (
            internal.BeneficiaryEmployedAfterSixMonthsV1,
            sector.BeneficiaryEmployedAfterSixMonthsV1,
            agency_types.BeneficiaryEmployedAfterSixMonths,
        )
    else:
        kinds = (
            internal.BeneficiaryNotEmployedAfterSixMonthsV1,
            sector.BeneficiaryNotEmployedAfterSixMonthsV1,
            agency_types.BeneficiaryNotEmployedAfterSixMonths,
        )
    to_mission, to_sector, to_agency = kinds
    dates: dict[str, Any] = {"signed_on": contract.signed_on, "checked_on": contract.checked_on}
    data: dict[str, Any] = {**dates, "source": contract.check_source}
    return (
        [
            pub.internal(to_mission(beneficiary_id=pub.person.id, **data)),
            pub.sector(to_sector(**pub.person_facts(), month=_month(contract.checked_on))),  # dated by the check
        ],
        pub.agency(to_agency, contract.workplace_municipality, **dates),
    )


def exited(pub: EventBuilder, reason: str, on: date) -> list[Event]:
    data: dict[str, Any] = {"reason": reason, "on": on}
    return [
        pub.internal(internal.BeneficiaryExitedV1(beneficiary_id=pub.person.id, **data)),
        pub.sector(sector.BeneficiaryExitedV1(**pub.person_facts(), reason=reason, month=_month(on))),
    ]


def reopened(pub: EventBuilder, episode) -> tuple[list[Event], list[tuple[Event, str]]]:
    """A new episode: to the Mission's services (matching lists the person again), to InterMire (a new
    episode of the same pseudonym), and to each agency a disclosure on record lets it reach, as intake's
    registration does (the why and the referrer's organisation stay here)."""
    p = pub.person
    data: dict[str, Any] = {"episode": episode.number, "started_on": episode.started_on}
    return (
        [
            pub.internal(internal.BeneficiaryReopenedV1(beneficiary_id=p.id, **data, municipality=p.municipality)),
            pub.sector(sector.BeneficiaryReopenedV1(**pub.person_facts(), month=_month(episode.started_on))),
        ],
        pub.agency(agency_types.BeneficiaryReopened, reopened_on=episode.started_on, episode=episode.number),
    )


def corrected(pub: EventBuilder, version: int, changed: list[str]) -> list[Event]:
    """To the Mission's services: which fields of the file were corrected, and its coded facts as they stand
    (matching measures distances from the municipality). Never the values of names or contacts; no sector or
    agency event (the agency contract has no correction, and InterMire reads the codes on the next fact)."""
    facts = pub.person_facts()
    return [
        pub.internal(
            internal.BeneficiaryCorrectedV1(
                beneficiary_id=pub.person.id,
                version=version,
                fields=changed,
                municipality=facts["municipality"],
                gender=facts["gender"],
                age_band=facts["age_band"],
                target_groups=_groups(pub.groups),
            )
        )
    ]


def forget_requested(pub: EventBuilder, disclosure, reason: str, on: date) -> tuple[Event, str]:
    """Tell an agency to delete what it received about the person: consent withdrawn, basis ended, erased."""
    payload = agency_types.ForgetRequested(
        agency_reference=disclosure.agency_reference,
        reason=cast(agency_types.ForgetReason, reason),  # checked against the contract when built
        requested_on=on,
    )
    return (
        build(disclose(disclosure.agency, payload), source=pub.source, subject=disclosure.agency_reference),
        disclosure.agency,
    )


def erased(pub: EventBuilder, on: date) -> list[Event]:
    """To the Mission's services, and to InterMire: forget the person (InterMire by the pseudonym it knows)."""
    p = pub.person
    return [
        pub.internal(internal.BeneficiaryErasedV1(beneficiary_id=p.id)),
        build(
            sector.BeneficiaryForgottenV1(
                pseudonym=p.pseudonym, pseudonym_key=p.pseudonym_key, erased_month=_month(on)
            ),
            source=pub.source,
            subject=p.pseudonym,
        ),
    ]


def merged(gone: EventBuilder, kept: EventBuilder) -> list[Event]:
    """A provisional file folded into the file that holds the person's number (``beneficiary.identity``): the
    Mission's services move what they hold under the provisional reference to the kept one (``merged``,
    internal only: an ``erased`` would make the Mission's reporting keep the provisional file's facts as a
    second, anonymous person), and InterMire reads the provisional pseudonym as the kept file's
    (``pseudonym_rekeyed``), one person."""
    return [
        gone.internal(internal.BeneficiaryMergedV1(beneficiary_id=gone.person.id, into=kept.person.id)),
        pseudonym_rekeyed(gone.source, gone.person.pseudonym, kept.person),
    ]


def pseudonym_rekeyed(source: str, previous: str, person) -> Event:
    """To InterMire only: ``previous`` now reads ``person.pseudonym`` (no other field: nothing else changed).
    Sent by a key rotation, and by a provisional identity completed or merged (``beneficiary.identity``)."""
    return build(
        sector.PseudonymRekeyedV1(
            previous_pseudonym=previous, pseudonym=person.pseudonym, pseudonym_key=person.pseudonym_key
        ),
        source=source,
        subject=person.pseudonym,
    )
