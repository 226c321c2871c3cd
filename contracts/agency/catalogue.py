"""Every agency event type and version, and the schema of its ``data``.

One class per type and version (``contracts.payloads``). The classes list
every field an agency may ever receive for that fact; the per-agency field
policy (``contracts.agency.disclosure``) decides which of them each agency
gets, so a field an agency does not receive is optional here. Vocabularies
are the contract's own: a producer maps its codes onto them (sensitive ones
are generalised, never passed through).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar, Literal, get_args

from contracts.payloads import UNSET, Meta, Payload, UnsetType

AGENCIES = ("forem", "actiris")
Basis = Literal["consent", "legal_basis"]
BASES = get_args(Basis)
# Referrers an agency may see. A justice service, a CPAS or AViQ tells of a
# justice measure, social aid or a disability: they become "partner".
Referrer = Literal[
    "forem",
    "actiris",
    "ale",
    "adl",
    "insertion_operator",
    "training_operator",
    "neighbourhood_board",
    "self",
    "other",
    "partner",
]
REFERRERS = get_args(Referrer)
GENERALISED_REFERRER: Referrer = "partner"
# Target groups an agency may see; disability, social aid and justice measure never leave the Mission.
TargetGroup = Literal[
    "low_qualification",
    "long_term_unemployed",
    "neet_youth",
    "refugee_newcomer",
    "single_parent",
    "priority_neighbourhood",
]
TARGET_GROUPS = get_args(TargetGroup)
ContractType = Literal["permanent", "fixed_term", "temp", "article_60", "apprenticeship", "other"]
CONTRACT_TYPES = get_args(ContractType)
Region = Literal["wallonia", "brussels", "flanders"]
REGIONS = get_args(Region)
ForgetReason = Literal["consent_withdrawn", "legal_basis_ended"]
FORGET_REASONS = get_args(ForgetReason)

AgencyReference = Annotated[str, Meta(min_length=1, max_length=50)]
Id = Annotated[str, Meta(min_length=1, max_length=36)]
Hours = Annotated[int, Meta(ge=1, le=60)]

B, C = "be.mire.beneficiary.", "be.mire.convention."
REGISTERED = B + "registered.v1"
DROPPED_OUT = B + "dropped_out.v1"
CONTRACT_SIGNED = B + "contract_signed.v1"
EMPLOYED_6M = B + "employment_confirmed_6m.v1"
NOT_EMPLOYED_6M = B + "employment_not_confirmed_6m.v1"
FORGET_REQUESTED = B + "forget_requested.v1"
REOPENED = B + "reopened.v1"
CONVENTION_SIGNED = C + "signed.v1"


class Agency(Payload, frozen=True, kw_only=True):
    AUDIENCE: ClassVar[str] = "agency"


class PersonFacts(Agency, frozen=True, kw_only=True):
    """What every event about a person carries: how the agency knows them, and on which basis."""

    agency_reference: Annotated[AgencyReference, Meta(description="the person's file number at the agency")]
    basis: Annotated[
        Basis, Meta(description="what allows the disclosure: a legal basis or the person's recorded consent")
    ]
    referrer_type: (
        Annotated[
            Referrer | None,
            Meta(description="who referred the person; sensitive referrers generalised to 'partner'"),
        ]
        | UnsetType
    ) = UNSET
    target_groups: (
        Annotated[
            list[TargetGroup],
            Meta(description="non-sensitive target groups only", extra_json_schema={"uniqueItems": True}),
        ]
        | UnsetType
    ) = UNSET


class BeneficiaryRegistered(PersonFacts, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = REGISTERED
    SUMMARY: ClassVar[str] = "A person the agency knows started a path at a Mission."
    registered_on: date


class BeneficiaryDroppedOut(PersonFacts, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = DROPPED_OUT
    SUMMARY: ClassVar[str] = "The person left the path before its end (no reason given)."
    # The reason (health, family…) is accompaniment: it stays in the Mission.
    on: date


class BeneficiaryContractSigned(PersonFacts, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = CONTRACT_SIGNED
    SUMMARY: ClassVar[str] = "The person signed a first employment contract."
    signed_on: date
    contract_type: ContractType
    hours_per_week: Hours | None


class BeneficiaryReopened(PersonFacts, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = REOPENED
    SUMMARY: ClassVar[str] = (
        "A person the agency knows, who had left the path, came back to the Mission: a new episode started."
    )
    # Why the person came back is accompaniment: it stays in the Mission.
    reopened_on: date
    episode: Annotated[int, Meta(ge=2, description="the episode's number on the Mission's file: 2 for a first return")]


class BeneficiarySixMonthOutcome(PersonFacts, frozen=True, kw_only=True):
    signed_on: date
    checked_on: date


class BeneficiaryEmployedAfterSixMonths(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = EMPLOYED_6M
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is employed."


class BeneficiaryNotEmployedAfterSixMonths(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = NOT_EMPLOYED_6M
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is no longer employed."


class ForgetRequested(Agency, frozen=True, kw_only=True):
    """The agency must delete what it received about this person from this Mission, and will get no more."""

    TYPE: ClassVar[str] = FORGET_REQUESTED
    SUMMARY: ClassVar[str] = (
        "Consent withdrawn or legal basis ended: delete what this Mission sent "
        "about the person; nothing more will come."
    )
    agency_reference: AgencyReference
    reason: ForgetReason
    requested_on: date


class ConventionSigned(Agency, frozen=True, kw_only=True):
    """A convention signed by every party. A commitment between organisations: no person in it."""

    TYPE: ClassVar[str] = CONVENTION_SIGNED
    SUMMARY: ClassVar[str] = "A Mission–employer or Mission–training operator convention signed by every party."
    convention_id: Id
    project_id: Id
    kind: Literal["employer", "training"]
    version: Annotated[int, Meta(ge=1)]
    signed_on: date
    job_municipality: Annotated[
        Annotated[str, Meta(min_length=5, max_length=5)] | None,
        Meta(description="REFNIS code of the job's municipality, when the Mission knows it"),
    ]
    job_region: Region | None
    # Mission–employer convention.
    hires_committed: Annotated[int, Meta(ge=1)] | None | UnsetType = UNSET
    contract_type: ContractType | None | UnsetType = UNSET
    hours_per_week: Hours | None | UnsetType = UNSET
    # Mission–training operator(s) convention.
    trainees_planned: Annotated[int, Meta(ge=1)] | None | UnsetType = UNSET
    hours_centre: Annotated[int, Meta(ge=0)] | None | UnsetType = UNSET
    hours_work: Annotated[int, Meta(ge=0)] | None | UnsetType = UNSET
    start_date: date | None | UnsetType = UNSET
    end_date: date | None | UnsetType = UNSET


@dataclass(frozen=True)
class AgencyEventType:
    payload: type[Agency]
    producer: str
    # About a person: leaves only under a disclosure (legal basis or consent) on record for the agency.
    personal: bool = True
    # When set, the date after which the type is no longer published, and what replaces it.
    deprecated: tuple[str, str] | None = None

    @property
    def type(self) -> str:
        return self.payload.TYPE

    @property
    def summary(self) -> str:
        return self.payload.SUMMARY


CATALOGUE: dict[str, AgencyEventType] = {
    t.type: t
    for t in (
        AgencyEventType(BeneficiaryRegistered, "beneficiary"),
        AgencyEventType(BeneficiaryDroppedOut, "beneficiary"),
        AgencyEventType(BeneficiaryContractSigned, "beneficiary"),
        AgencyEventType(BeneficiaryEmployedAfterSixMonths, "beneficiary"),
        AgencyEventType(BeneficiaryNotEmployedAfterSixMonths, "beneficiary"),
        AgencyEventType(ForgetRequested, "beneficiary"),
        AgencyEventType(BeneficiaryReopened, "beneficiary"),
        AgencyEventType(ConventionSigned, "convention", personal=False),
    )
}
PAYLOADS: tuple[type[Agency], ...] = tuple(t.payload for t in CATALOGUE.values())


def schema_fields(event_type: str) -> tuple[str, ...]:
    return CATALOGUE[event_type].payload.__struct_fields__
