"""The transfer audience: a person's file handed from one Mission to another, with the person's consent.

Published by the sending (or answering) Mission's beneficiary service on its
``passerelle.transfers`` exchange with the addressee Mission in front of the
routing key (``mirena.be.mire.beneficiary.transfer_requested.v1``); the
Mission's to-transfers shovel carries it to the transfers vhost, whose queue
for the addressee is shovelled into that Mission's ``passerelle.transfers.in``
exchange. Neither InterMire nor an agency can read any queue on the way.

Unlike every other audience, a request carries personal data (identity with
the national number, path, plan, and notes when the person consented): it is
the file itself, moving to the Mission that will follow the person. The answer
carries none. One class per type and version (``contracts.payloads``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar

from contracts.payloads import Meta, Payload, Record

Mission = Annotated[str, Meta(min_length=1, max_length=32)]
Text = Annotated[str, Meta(max_length=500)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Code = Annotated[str, Meta(max_length=64)]


class Transfer(Payload, frozen=True, kw_only=True):
    AUDIENCE: ClassVar[str] = "transfer"
    transfer_id: Annotated[str, Meta(min_length=1, max_length=36)]
    from_mission: Mission
    to_mission: Mission


class TargetGroup(Record, frozen=True, kw_only=True):
    group: Code
    evidence: Annotated[str, Meta(max_length=300)]
    since: date
    until: date | None = None


class Identity(Record, frozen=True, kw_only=True):
    """Who the person is, as the receiving Mission's intake would record it."""

    niss: Annotated[str, Meta(pattern=r"^[0-9]{11}$")]
    niss_kind: Code
    first_name: Name
    last_name: Name
    birth_date: date
    gender: Annotated[str, Meta(min_length=1, max_length=1)]
    municipality: Annotated[str, Meta(min_length=5, max_length=5)]
    phone: Annotated[str, Meta(max_length=30)] | None = None
    email: Annotated[str, Meta(max_length=200)] | None = None
    referrer_type: Code | None = None
    referrer_organisation: Annotated[str, Meta(max_length=200)] | None = None
    target_groups: list[TargetGroup] = []


class Step(Record, frozen=True, kw_only=True):
    """One move along the path at the sending Mission."""

    from_stage: Code | None = None
    to_stage: Code
    kind: Code
    reason: Code | None = None
    why: Text | None = None
    at: datetime
    by: Name
    role: Annotated[str, Meta(max_length=30)]


class Path(Record, frozen=True, kw_only=True):
    registered_on: date
    stage: Code
    status: Code
    steps: list[Step]


class Action(Record, frozen=True, kw_only=True):
    kind: Code
    description: Text
    due: date | None = None


class Plan(Record, frozen=True, kw_only=True):
    """One agreed version of the insertion plan (every version moves, in order)."""

    version: Annotated[int, Meta(ge=1)]
    target_occupations: list[Code]
    missing_competences: list[Code]
    actions: list[Action]
    contract_wishes: list[Code]
    hours_wish: int | None = None
    mobility_km: Annotated[int, Meta(ge=0, le=1000)]
    available_from: date | None = None
    agreed_by: Name
    agreed_at: datetime
    agreed_with_person: bool


class Note(Record, frozen=True, kw_only=True):
    kind: Code
    text: Annotated[str, Meta(min_length=1, max_length=20000)]
    author: Name
    at: datetime


class TransferRequestedV1(Transfer, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "be.mire.beneficiary.transfer_requested.v1"
    SUMMARY: ClassVar[str] = (
        "A Mission asks another to take over a person's file, with the person's consent: identity, path and "
        "plan; accompaniment notes only when the person consented to their transfer too."
    )
    requested_on: date
    requested_by: Name
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    consent: bool
    notes_consent: bool
    person: Identity
    path: Path
    plans: list[Plan]
    notes: list[Note]


class TransferAnsweredV1(Transfer, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "be.mire.beneficiary.transfer_answered.v1"
    SUMMARY: ClassVar[str] = (
        "The receiving Mission accepted a transfer (the sending Mission closes its file as transferred) or "
        "declined it with a reason (the file stays open where it was). No personal data."
    )
    accepted: bool
    answered_on: date
    reason: Annotated[str, Meta(max_length=500)] | None = None


PAYLOADS: tuple[type[Transfer], ...] = (TransferRequestedV1, TransferAnsweredV1)
