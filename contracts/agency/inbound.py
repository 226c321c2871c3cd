"""The inbound contract: what Le Forem and Actiris tell a Mission, and what a Mission answers when it refuses.

An agency publishes to its own exchange on ``/agencies`` (``<agency>.inbound``), one CloudEvent per message in
structured mode (``application/cloudevents+json``), with the routing key ``<mission code>.<event type>``. The
broker carries it into that Mission (``kit.topology``); nothing else routes it. The envelope:

* ``source`` is ``/agencies/<agency>`` (the Mission checks it against the way the broker says the message came);
* ``type`` one of ``INBOUND`` (``be.mire.agency.<fact>.v<N>``), ``dataschema`` ``urn:passerelle:schema:inbound:<type>``;
* ``subject`` and ``data.agency_reference``: the person's file number at the agency, the very reference the
  Mission sends the agency as the ``subject`` of its outbound events about that person (a disclosure on record
  at the Mission holds it). Never a national register number: the Mission matches the reference, nothing else;
* ``data.mission``: the Mission's code, as in the routing key.

A Mission applies each event once (by its ``id``) and records it on the person's file as an agency fact. It
refuses, without applying it, an event for a person it does not know under that agency's reference, an unknown
type or version, or data outside the type's schema; a refused event is dead-lettered at the Mission with its
reason, and the agency reads the reason on its feedback queue (``<agency>.feedback``): one
``be.mire.beneficiary.agency_event_refused.v1`` per refused event, naming the event's id and type.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal, get_args

from contracts.agency.catalogue import AgencyReference, ContractType, Hours, Id
from contracts.payloads import UNSET, Meta, Payload, UnsetType

A = "be.mire.agency."
JOBSEEKER_STATUS = A + "jobseeker_status_changed.v1"
TRAINING_ENTERED = A + "training_entered.v1"
TRAINING_EXITED = A + "training_exited.v1"
EMPLOYMENT_STARTED = A + "employment_started.v1"
EMPLOYMENT_ENDED = A + "employment_ended.v1"
SIX_MONTH_ANSWERED = A + "six_month_verification_answered.v1"
EVENT_REFUSED = "be.mire.beneficiary.agency_event_refused.v1"

MissionCode = Annotated[str, Meta(pattern=r"^[a-z0-9-]{1,30}$", description="the Mission's code (routing key too)")]
JobSeekerStatus = Literal["registered", "deregistered", "suspended"]
TrainingExit = Literal["completed", "abandoned", "interrupted"]
EmploymentEnd = Literal["end_of_term", "resignation", "dismissal", "end_of_trial", "other"]
SixMonthAnswer = Literal["employed", "not_employed", "unknown"]
SIX_MONTH_ANSWERS = get_args(SixMonthAnswer)
RefusalCode = Literal["unknown_person", "unknown_type", "schema_violation", "wrong_mission"]
REFUSAL_CODES = get_args(RefusalCode)


class Inbound(Payload, frozen=True, kw_only=True):
    """What every inbound event carries: the Mission it is for, and the person as the agency knows them."""

    AUDIENCE: ClassVar[str] = "inbound"

    mission: MissionCode
    agency_reference: Annotated[
        AgencyReference,
        Meta(description="the person's file number at the agency: the subject of the Mission's events about them"),
    ]


class JobSeekerStatusChanged(Inbound, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = JOBSEEKER_STATUS
    SUMMARY: ClassVar[str] = "The person's registration as a job seeker at the agency changed (or is confirmed)."
    status: JobSeekerStatus
    on: date


class TrainingEntered(Inbound, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = TRAINING_ENTERED
    SUMMARY: ClassVar[str] = "The person entered a training the agency runs or funds."
    started_on: date
    training: Annotated[str, Meta(min_length=1, max_length=200, description="the training's title")]
    planned_end_on: date | None | UnsetType = UNSET
    hours: Annotated[int, Meta(ge=1, le=3000)] | None | UnsetType = UNSET


class TrainingExited(Inbound, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = TRAINING_EXITED
    SUMMARY: ClassVar[str] = "The person left a training: completed, abandoned or interrupted."
    ended_on: date
    training: Annotated[str, Meta(min_length=1, max_length=200)]
    exit: TrainingExit


class EmploymentStarted(Inbound, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = EMPLOYMENT_STARTED
    SUMMARY: ClassVar[str] = "The agency confirms the person started an employment contract."
    started_on: date
    contract_type: ContractType
    hours_per_week: Hours | None | UnsetType = UNSET
    planned_end_on: date | None | UnsetType = UNSET


class EmploymentEnded(Inbound, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = EMPLOYMENT_ENDED
    SUMMARY: ClassVar[str] = "The agency confirms the person's employment contract ended."
    started_on: date
    ended_on: date
    reason: EmploymentEnd | UnsetType = UNSET


class SixMonthVerificationAnswered(Inbound, frozen=True, kw_only=True):
    """The agency's answer to a Mission's six-month verification request (the request is the Mission's event)."""

    TYPE: ClassVar[str] = SIX_MONTH_ANSWERED
    SUMMARY: ClassVar[str] = (
        "The agency's answer to a Mission's request to verify whether the person is employed six months after "
        "their first contract."
    )
    request_id: Annotated[Id, Meta(description="the CloudEvents id of the Mission's verification request")]
    signed_on: Annotated[date, Meta(description="the first contract's date, as the request gave it")]
    checked_on: Annotated[date, Meta(description="the day the agency's records were read")]
    answer: Annotated[
        SixMonthAnswer, Meta(description="'unknown': the agency's records say nothing either way for that day")
    ]


class AgencyEventRefused(Payload, frozen=True, kw_only=True):
    """A Mission's feedback to the agency: one inbound event refused, and why (never applied)."""

    AUDIENCE: ClassVar[str] = "feedback"
    TYPE: ClassVar[str] = EVENT_REFUSED
    SUMMARY: ClassVar[str] = "A Mission refused one of the agency's events: which one, and why (it was not applied)."
    event_id: Annotated[str, Meta(min_length=1, max_length=64, description="the refused event's CloudEvents id")]
    event_type: Annotated[str, Meta(min_length=1, max_length=200, description="its type, as sent")]
    mission: MissionCode
    code: RefusalCode
    reason: Annotated[str, Meta(min_length=1, max_length=500, description="what to fix, in words")]
    refused_at: datetime


INBOUND: dict[str, type[Inbound]] = {
    cls.TYPE: cls
    for cls in (
        JobSeekerStatusChanged,
        TrainingEntered,
        TrainingExited,
        EmploymentStarted,
        EmploymentEnded,
        SixMonthVerificationAnswered,
    )
}
PAYLOADS: tuple[type[Payload], ...] = (*INBOUND.values(), AgencyEventRefused)
