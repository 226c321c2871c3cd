"""Every agency event type and version, and the schema of its ``data``.

One marshmallow schema per type and version. The schemas list every field an
agency may ever receive for that fact; the per-agency field policy
(``contracts.agency.policy``) decides which of them each agency gets, so a
field an agency does not receive is optional here. Vocabularies are the
contract's own: a producer maps its codes onto them (sensitive ones are
generalised, never passed through).
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate

AGENCIES = ("forem", "actiris")
BASES = ("consent", "legal_basis")
# Referrers an agency may see. A justice service, a CPAS or AViQ tells of a
# justice measure, social aid or a disability: they become "partner".
REFERRERS = (
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
)
GENERALISED_REFERRER = "partner"
# Target groups an agency may see; disability, social aid and justice measure never leave the Mission.
TARGET_GROUPS = (
    "low_qualification",
    "long_term_unemployed",
    "neet_youth",
    "refugee_newcomer",
    "single_parent",
    "priority_neighbourhood",
)
CONTRACT_TYPES = ("permanent", "fixed_term", "temp", "article_60", "apprenticeship", "other")
REGIONS = ("wallonia", "brussels", "flanders")
FORGET_REASONS = ("consent_withdrawn", "legal_basis_ended")

_REFERENCE = validate.Length(1, 50)
_ID = validate.Length(1, 36)


class PersonFacts(Schema):
    """What every event about a person carries: how the agency knows them, and on which basis."""

    agency_reference = fields.String(
        required=True, validate=_REFERENCE, metadata={"description": "the person's file number at the agency"}
    )
    basis = fields.String(
        required=True,
        validate=validate.OneOf(BASES),
        metadata={"description": "what allows the disclosure: a legal basis or the person's recorded consent"},
    )
    referrer_type = fields.String(
        allow_none=True,
        validate=validate.OneOf(REFERRERS),
        metadata={"description": "who referred the person; sensitive referrers generalised to 'partner'"},
    )
    target_groups = fields.List(
        fields.String(validate=validate.OneOf(TARGET_GROUPS)),
        metadata={"description": "non-sensitive target groups only"},
    )


class BeneficiaryRegistered(PersonFacts):
    registered_on = fields.Date(required=True)


class BeneficiaryDroppedOut(PersonFacts):
    # The reason (health, family…) is accompaniment: it stays in the Mission.
    on = fields.Date(required=True)


class BeneficiaryContractSigned(PersonFacts):
    signed_on = fields.Date(required=True)
    contract_type = fields.String(required=True, validate=validate.OneOf(CONTRACT_TYPES))
    hours_per_week = fields.Integer(required=True, allow_none=True, validate=validate.Range(1, 60))


class BeneficiarySixMonthOutcome(PersonFacts):
    signed_on = fields.Date(required=True)
    checked_on = fields.Date(required=True)


class ForgetRequested(Schema):
    """The agency must delete what it received about this person from this Mission, and will get no more."""

    agency_reference = fields.String(required=True, validate=_REFERENCE)
    reason = fields.String(required=True, validate=validate.OneOf(FORGET_REASONS))
    requested_on = fields.Date(required=True)


class ConventionSigned(Schema):
    """A convention signed by every party. A commitment between organisations: no person in it."""

    convention_id = fields.String(required=True, validate=_ID)
    project_id = fields.String(required=True, validate=_ID)
    kind = fields.String(required=True, validate=validate.OneOf(("employer", "training")))
    version = fields.Integer(required=True, validate=validate.Range(1))
    signed_on = fields.Date(required=True)
    job_municipality = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Length(5, 5),
        metadata={"description": "REFNIS code of the job's municipality, when the Mission knows it"},
    )
    job_region = fields.String(required=True, allow_none=True, validate=validate.OneOf(REGIONS))
    # Mission–employer convention.
    hires_committed = fields.Integer(allow_none=True, validate=validate.Range(1))
    contract_type = fields.String(allow_none=True, validate=validate.OneOf(CONTRACT_TYPES))
    hours_per_week = fields.Integer(allow_none=True, validate=validate.Range(1, 60))
    # Mission–training operator(s) convention.
    trainees_planned = fields.Integer(allow_none=True, validate=validate.Range(1))
    hours_centre = fields.Integer(allow_none=True, validate=validate.Range(0))
    hours_work = fields.Integer(allow_none=True, validate=validate.Range(0))
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)


@dataclass(frozen=True)
class AgencyEventType:
    type: str
    producer: str
    summary: str
    schema: type[Schema]
    # About a person: leaves only under a disclosure (legal basis or consent) on record for the agency.
    personal: bool = True
    # When set, the date after which the type is no longer published, and what replaces it.
    deprecated: tuple[str, str] | None = None


B, C = "be.mire.beneficiary.", "be.mire.convention."
REGISTERED = B + "registered.v1"
DROPPED_OUT = B + "dropped_out.v1"
CONTRACT_SIGNED = B + "contract_signed.v1"
EMPLOYED_6M = B + "employment_confirmed_6m.v1"
NOT_EMPLOYED_6M = B + "employment_not_confirmed_6m.v1"
FORGET_REQUESTED = B + "forget_requested.v1"
CONVENTION_SIGNED = C + "signed.v1"

CATALOGUE: dict[str, AgencyEventType] = {
    t.type: t
    for t in (
        AgencyEventType(
            REGISTERED, "beneficiary", "A person the agency knows started a path at a Mission.", BeneficiaryRegistered
        ),
        AgencyEventType(
            DROPPED_OUT,
            "beneficiary",
            "The person left the path before its end (no reason given).",
            BeneficiaryDroppedOut,
        ),
        AgencyEventType(
            CONTRACT_SIGNED, "beneficiary", "The person signed a first employment contract.", BeneficiaryContractSigned
        ),
        AgencyEventType(
            EMPLOYED_6M,
            "beneficiary",
            "Six months after the first contract, the person is employed.",
            BeneficiarySixMonthOutcome,
        ),
        AgencyEventType(
            NOT_EMPLOYED_6M,
            "beneficiary",
            "Six months after the first contract, the person is no longer employed.",
            BeneficiarySixMonthOutcome,
        ),
        AgencyEventType(
            FORGET_REQUESTED,
            "beneficiary",
            "Consent withdrawn or legal basis ended: delete what this Mission sent "
            "about the person; nothing more will come.",
            ForgetRequested,
        ),
        AgencyEventType(
            CONVENTION_SIGNED,
            "convention",
            "A Mission–employer or Mission–training operator convention signed by every party.",
            ConventionSigned,
            personal=False,
        ),
    )
}


def schema_fields(event_type: str) -> tuple[str, ...]:
    return tuple(CATALOGUE[event_type].schema().fields)
