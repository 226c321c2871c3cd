"""Sample messages for integrators: one CloudEvent per agency and event type (``examples/<agency>/<type>.json``).

Each sample is built the way a Mission builds the real event: a payload of the
contract (``contracts.agency.catalogue``), narrowed by the agency's field
policy (``disclose``), wrapped in its envelope by ``contracts.payloads.build``;
so it is what the agency's queue delivers, and it validates against the
agency's JSON Schema for the type (``schemas/<agency>/<type>.json``; the
contract tests check it). The people are invented: file numbers, dates and
identifiers belong to no one. Written with the other contract files by
``python -m contracts.generate``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from contracts.agency import inbound
from contracts.agency.catalogue import (
    AGENCIES,
    CATALOGUE,
    CONTRACT_SIGNED,
    CONVENTION_SIGNED,
    DROPPED_OUT,
    EMPLOYED_6M,
    FORGET_REQUESTED,
    NOT_EMPLOYED_6M,
    REGISTERED,
    REOPENED,
    Agency,
    BeneficiaryContractSigned,
    BeneficiaryDroppedOut,
    BeneficiaryEmployedAfterSixMonths,
    BeneficiaryNotEmployedAfterSixMonths,
    BeneficiaryRegistered,
    BeneficiaryReopened,
    ConventionSigned,
    ForgetRequested,
)
from contracts.agency.disclosure import disclose
from contracts.payloads import build

# A Walloon Mission (MIRE de Charleroi) tells Le Forem of a person living in Charleroi; Actiris hears of a
# Brussels resident the same Mission follows (the region of residence names the agency).
MISSION = "mirec"
REFERENCE = {"forem": "F-2026-031847", "actiris": "A-2026-118204"}
CONVENTION_ID = "3f6b2c1e-8d4a-4e7b-9c21-5a0f7d3e9b64"
PROJECT_ID = "b2d9e4a7-1c3f-4a8e-8f56-0e7c2d9a4b13"
# Fixed, so that the committed files stay in step with the generator.
NAMESPACE = uuid.UUID("6a1f0c52-2b7e-4d39-9e84-7c5d3a1b0f28")


def _person(agency: str) -> dict[str, Any]:
    return {
        "agency_reference": REFERENCE[agency],
        "basis": "legal_basis" if agency == "forem" else "consent",
        "referrer_type": "forem" if agency == "forem" else "actiris",
        "target_groups": ["long_term_unemployed", "low_qualification"],
    }


def _payload(agency: str, event_type: str) -> Agency:
    """The full payload (every field the contract has); ``disclose`` then narrows it for the agency."""
    person = _person(agency)
    if event_type == REGISTERED:
        return BeneficiaryRegistered(**person, registered_on=date(2026, 2, 9))
    if event_type == DROPPED_OUT:
        return BeneficiaryDroppedOut(**person, on=date(2026, 5, 18))
    if event_type == CONTRACT_SIGNED:
        return BeneficiaryContractSigned(
            **person, signed_on=date(2026, 4, 1), contract_type="fixed_term", hours_per_week=38
        )
    if event_type == EMPLOYED_6M:
        return BeneficiaryEmployedAfterSixMonths(**person, signed_on=date(2026, 4, 1), checked_on=date(2026, 10, 1))
    if event_type == NOT_EMPLOYED_6M:
        return BeneficiaryNotEmployedAfterSixMonths(**person, signed_on=date(2026, 4, 1), checked_on=date(2026, 10, 2))
    if event_type == REOPENED:
        return BeneficiaryReopened(**person, reopened_on=date(2026, 11, 23), episode=2)
    if event_type == FORGET_REQUESTED:
        return ForgetRequested(
            agency_reference=REFERENCE[agency], reason="consent_withdrawn", requested_on=date(2026, 11, 16)
        )
    if event_type == CONVENTION_SIGNED:
        brussels = agency == "actiris"
        return ConventionSigned(
            convention_id=CONVENTION_ID,
            project_id=PROJECT_ID,
            kind="employer",
            version=1,
            signed_on=date(2026, 3, 12),
            job_municipality="21004" if brussels else "52011",  # REFNIS: Bruxelles, Charleroi
            job_region="brussels" if brussels else "wallonia",
            hires_committed=3,
            contract_type="permanent",
            hours_per_week=38,
        )
    raise KeyError(f"no sample for {event_type}: add one to contracts/samples.py")


def sample(agency: str, event_type: str) -> dict[str, Any]:
    """The CloudEvent ``agency`` receives for ``event_type``, as a dict ready for JSON."""
    kind = CATALOGUE[event_type]
    payload = disclose(agency, _payload(agency, event_type))
    subject = getattr(payload, "agency_reference", None) if kind.personal else CONVENTION_ID
    event = build(
        payload,
        source=f"/missions/{MISSION}/{kind.producer}",
        subject=subject,
        time=datetime(2026, 11, 23, 8, 30, tzinfo=UTC),
        event_id=str(uuid.uuid5(NAMESPACE, f"{agency}:{event_type}")),
    )
    return event.to_dict()


def samples() -> dict[str, dict[str, Any]]:
    """Relative path (under ``contracts/``) → sample, for every agency and event type of the catalogue."""
    return {
        f"examples/{agency}/{event_type}.json": sample(agency, event_type)
        for agency in AGENCIES
        for event_type in CATALOGUE
    }


# -- what an agency sends a Mission, and the Mission's feedback when it refuses -------------------------------
def _inbound_payload(agency: str, event_type: str) -> inbound.Inbound:
    person: dict[str, Any] = {"mission": MISSION, "agency_reference": REFERENCE[agency]}
    if event_type == inbound.JOBSEEKER_STATUS:
        return inbound.JobSeekerStatusChanged(**person, status="registered", on=date(2026, 2, 2))
    if event_type == inbound.TRAINING_ENTERED:
        return inbound.TrainingEntered(
            **person,
            started_on=date(2026, 3, 2),
            training="Cariste — conduite de chariots élévateurs",
            planned_end_on=date(2026, 3, 27),
            hours=120,
        )
    if event_type == inbound.TRAINING_EXITED:
        return inbound.TrainingExited(
            **person, ended_on=date(2026, 3, 27), training="Cariste — conduite de chariots élévateurs", exit="completed"
        )
    if event_type == inbound.EMPLOYMENT_STARTED:
        return inbound.EmploymentStarted(
            **person, started_on=date(2026, 4, 1), contract_type="fixed_term", hours_per_week=38
        )
    if event_type == inbound.EMPLOYMENT_ENDED:
        return inbound.EmploymentEnded(
            **person, started_on=date(2026, 4, 1), ended_on=date(2026, 9, 30), reason="end_of_term"
        )
    if event_type == inbound.SIX_MONTH_ANSWERED:
        return inbound.SixMonthVerificationAnswered(
            **person,
            request_id="0b7d3c5e-4f1a-4c8e-9a2d-6e1f0b3c7d59",
            signed_on=date(2026, 4, 1),
            checked_on=date(2026, 10, 1),
            answer="employed",
        )
    raise KeyError(f"no inbound sample for {event_type}: add one to contracts/samples.py")


def inbound_sample(agency: str, event_type: str) -> dict[str, Any]:
    """The CloudEvent ``agency`` publishes to its exchange for ``event_type``, as a dict ready for JSON."""
    payload = _inbound_payload(agency, event_type)
    event = build(
        payload,
        source=f"/agencies/{agency}",
        subject=payload.agency_reference,
        time=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        event_id=str(uuid.uuid5(NAMESPACE, f"inbound:{agency}:{event_type}")),
    )
    return event.to_dict()


def feedback_sample(agency: str) -> dict[str, Any]:
    """What ``agency`` reads on its feedback queue when a Mission refuses one of its events."""
    refused_id = str(uuid.uuid5(NAMESPACE, f"inbound:{agency}:{inbound.TRAINING_ENTERED}"))
    payload = inbound.AgencyEventRefused(
        event_id=refused_id,
        event_type=inbound.TRAINING_ENTERED,
        mission=MISSION,
        code="unknown_person",
        reason=f"no person of this Mission is known to {agency} by the reference {REFERENCE[agency]}",
        refused_at=datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC),
    )
    event = build(
        payload,
        source=f"/missions/{MISSION}/beneficiary",
        subject=refused_id,
        time=datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC),
        event_id=str(uuid.uuid5(NAMESPACE, f"feedback:{agency}")),
    )
    return event.to_dict()


def inbound_samples() -> dict[str, dict[str, Any]]:
    """Relative path → sample of every inbound type per agency (``examples/<agency>/inbound/``) and of the
    feedback (``examples/<agency>/feedback/``)."""
    out = {
        f"examples/{agency}/inbound/{event_type}.json": inbound_sample(agency, event_type)
        for agency in AGENCIES
        for event_type in inbound.INBOUND
    }
    for agency in AGENCIES:
        out[f"examples/{agency}/feedback/{inbound.EVENT_REFUSED}.json"] = feedback_sample(agency)
    return out
