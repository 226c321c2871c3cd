"""The sector audience: what a Mission sends InterMire (pseudonyms, codes, bands, months, counts).

Carried out of the Mission by its ``to-sector`` shovel to ``/intermire``.
Never a name, a national number, an enterprise number, a company name or a
contact: a person is their keyed pseudonym (``pseudonym_key`` says under
which sector key it was derived). One class per type and version
(``contracts.payloads``).

Each class carries exactly the fields InterMire's indicators read, no more:
reporting's catalogue derives them (``reporting.catalogue.sector_needs``) and
``tests/unit/test_sector_minimisation.py`` holds these classes to it; a fact
no indicator counts has no sector form. ``docs/record-of-processing.md``
lists what travels.

One family is not a count: the partner directory a Mission chooses to share
(``PartnerPublishedV1``, ``PartnerUnpublishedV1``). It names organisations
(a CPAS, an ALE, a training operator…) and the services they offer, with the
organisation's own channels, and never a person, nor the enterprise number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, ClassVar

from contracts.payloads import Meta, Payload, Record

Code = Annotated[str, Meta(max_length=64)]
Ref = Annotated[str, Meta(min_length=1, max_length=64)]
Pseudonym = Annotated[str, Meta(min_length=1, max_length=64)]
Month = Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}$")]
Day = date

B, E, C, R = "be.mire.beneficiary.", "be.mire.employer.", "be.mire.convention.", "be.mire.reporting."
Period = Annotated[str, Meta(pattern=r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$")]


class Sector(Payload, frozen=True, kw_only=True):
    AUDIENCE: ClassVar[str] = "sector"


# -- partners ----------------------------------------------------------------
# What kind of organisation a partner of a Mission's directory is (DOMAIN.md's organisations; ``oisp`` covers
# training operators): the code a published partner and an orientation's facts carry. Append only: reporting's
# catalogue codes an orientation fact's partner type by its place here.
PARTNER_TYPES: tuple[str, ...] = (
    "cpas",
    "ale",
    "oisp",
    "school",
    "commune_service",
    "health_social_service",
    "employer_federation",
    "union",
    "other",
)


# -- beneficiary -------------------------------------------------------------
# The target groups a person's sector facts may name: every group but the special categories of personal data
# (disability: health, GDPR art. 9; justice measure: criminal matters, art. 10), and of those only the ones an
# InterMire indicator names a legal basis for (reporting's catalogue, ``Indicator.legal_bases``): disability.
# A justice measure never leaves the Mission.
TARGET_GROUPS: frozenset[str] = frozenset(
    {
        "low_qualification",
        "long_term_unemployed",
        "disability",
        "social_aid",
        "neet_youth",
        "refugee_newcomer",
        "single_parent",
        "priority_neighbourhood",
    }
)


def sector_target_groups(groups: Iterable[str]) -> list[str]:
    """The person's target groups that may travel to InterMire (``TARGET_GROUPS``), sorted."""
    return sorted({g for g in groups if g in TARGET_GROUPS})


class Person(Sector, frozen=True, kw_only=True):
    """What every sector fact about a person carries: who (pseudonymously) and the counting dimensions.

    Only what InterMire's indicators read (reporting's catalogue, ``sector_needs``): no day (a month), no
    stage, drop-out reason, contract terms or follow-up source; target groups from ``TARGET_GROUPS`` only.
    """

    pseudonym: Pseudonym
    pseudonym_key: Code = ""  # absent from the facts sent before sector key rotation existed
    gender: Code
    municipality: Code
    age_band: Code
    target_groups: list[Code]


class BeneficiaryRegisteredV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "registered.v1"
    SUMMARY: ClassVar[str] = "A person entered a Mission (month of registration)."
    registered_month: Month


class BeneficiaryStageChangedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "stage_changed.v1"
    SUMMARY: ClassVar[str] = "A person moved along the path (the month; not which stage)."
    month: Month


class BeneficiaryDroppedOutV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "dropped_out.v1"
    SUMMARY: ClassVar[str] = "A person left the path before its end (the month; not the reason)."
    month: Month


class BeneficiaryContractSignedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "contract_signed.v1"
    SUMMARY: ClassVar[str] = "A person signed a first employment contract (the month of signature)."
    month: Month


class BeneficiarySixMonthOutcome(Person, frozen=True, kw_only=True):
    month: Month  # of the six-month check, which dates the fact


class BeneficiaryEmployedAfterSixMonthsV1(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "employment_confirmed_6m.v1"
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is employed (the month of the check)."


class BeneficiaryNotEmployedAfterSixMonthsV1(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "employment_not_confirmed_6m.v1"
    SUMMARY: ClassVar[str] = (
        "Six months after the first contract, the person is no longer employed (the month of the check)."
    )


class BeneficiaryExitedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "exited.v1"
    SUMMARY: ClassVar[str] = "A person's path ended (the month, and why: the exits indicator's breakdown)."
    reason: Code
    month: Month


class BeneficiaryReopenedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "reopened.v1"
    SUMMARY: ClassVar[str] = (
        "A person who had left came back: a new episode of the same person (same pseudonym) started, dated by "
        "its start (a month). Indicators of episodes count it; indicators of distinct persons count the person once."
    )
    month: Month


class PseudonymRekeyedV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "pseudonym_rekeyed.v1"
    SUMMARY: ClassVar[str] = "A person's pseudonym re-derived under the current sector key: the same person."
    previous_pseudonym: Pseudonym
    pseudonym: Pseudonym
    pseudonym_key: Code = ""  # read as the empty key when absent, as before this schema


class BeneficiaryForgottenV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "forgotten.v1"
    SUMMARY: ClassVar[str] = (
        "The Mission erased the person: InterMire forgets this pseudonym's facts from that Mission "
        "(kept only as anonymous counts) and refuses any later fact about it."
    )
    pseudonym: Pseudonym
    pseudonym_key: Code = ""
    erased_month: Month


# -- employer ----------------------------------------------------------------
# Only the vacancies of the Mission's own prospection, opened and filled: the two facts InterMire counts.
# (No registration of an employer, no update or closing of a vacancy: no indicator reads them.)
class Vacancy(Sector, frozen=True, kw_only=True):
    vacancy_id: Ref
    municipality: Code | None
    month: Month


class VacancyOpenedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_opened.v1"
    SUMMARY: ClassVar[str] = "A vacancy the Mission prospected was opened."


class VacancyFilledV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_filled.v1"
    SUMMARY: ClassVar[str] = "A post of a vacancy the Mission prospected was filled."


# -- convention --------------------------------------------------------------
# Signatures and evaluated commitments: the two facts InterMire counts (no terms, no trainees).
class Convention(Sector, frozen=True, kw_only=True):
    convention_id: Ref
    month: Month


class ConventionSignedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "signed.v1"
    SUMMARY: ClassVar[str] = "A convention was signed (the month)."


class CommitmentEvaluatedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "commitment_evaluated.v1"
    SUMMARY: ClassVar[str] = "An employer convention's hiring commitment was evaluated (the outcome only)."
    outcome: Code | None


# -- reporting: the period submissions ---------------------------------------
class PeriodSubmittedV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = R + "period_submitted.v1"
    SUMMARY: ClassVar[str] = (
        "A Mission submitted its figures for a period (a new version), to be approved by a second director. "
        "Which figures differ from the approved version travel by name, never their values."
    )
    period: Period
    version: Annotated[int, Meta(ge=1)]
    catalogue_version: Annotated[int, Meta(ge=1)]
    submitted_on: Day
    correction: bool
    changed: Annotated[list[Annotated[str, Meta(max_length=120)]], Meta(max_length=2000)]


class PeriodApprovedV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = R + "period_approved.v1"
    SUMMARY: ClassVar[str] = "A second director approved a submitted version: the Mission's figures for the period."
    period: Period
    version: Annotated[int, Meta(ge=1)]
    approved_on: Day


# -- employer: the partner directory a Mission shares -------------------------
# Organisations, never people: what InterMire's read-only sector directory shows. Each event carries the
# organisation's ``revision`` (one more at each event about it), so a late redelivery never overwrites a newer one.
Text = Annotated[str, Meta(max_length=200)]
LongText = Annotated[str, Meta(max_length=2000)]


class PartnerContact(Record, frozen=True, kw_only=True):
    """An organisation's or a service's channel (a reception desk, a generic address): never a person's."""

    phone: Annotated[str, Meta(max_length=30)] | None = None
    email: Text | None = None
    website: Text | None = None
    address: Text | None = None


class SharedPartnerService(Record, frozen=True, kw_only=True):
    service_id: Ref
    title: Text
    description: LongText
    needs: Annotated[list[Code], Meta(max_length=20)]
    target_groups: Annotated[list[Code], Meta(max_length=20)]
    conditions: LongText | None = None
    contact: PartnerContact
    opening_hours: Annotated[str, Meta(max_length=500)] | None = None


class PartnerPublishedV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "partner_published.v1"
    SUMMARY: ClassVar[str] = (
        "A partner organisation the Mission shares in the sector directory, as it now stands, with the services "
        "it still offers (sent again at each change while shared). No person, no enterprise number."
    )
    partner_id: Ref
    revision: Annotated[int, Meta(ge=1)]
    name: Text
    partner_type: Code
    municipalities: Annotated[list[Code], Meta(max_length=100)]
    contact: PartnerContact
    services: Annotated[list[SharedPartnerService], Meta(max_length=200)]


class PartnerUnpublishedV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "partner_unpublished.v1"
    SUMMARY: ClassVar[str] = "The Mission no longer shares this partner organisation: InterMire removes it."
    partner_id: Ref
    revision: Annotated[int, Meta(ge=1)]


DIRECTORY: tuple[type[Sector], ...] = (PartnerPublishedV1, PartnerUnpublishedV1)

PAYLOADS: tuple[type[Sector], ...] = (
    BeneficiaryRegisteredV1,
    BeneficiaryStageChangedV1,
    BeneficiaryDroppedOutV1,
    BeneficiaryContractSignedV1,
    BeneficiaryEmployedAfterSixMonthsV1,
    BeneficiaryNotEmployedAfterSixMonthsV1,
    BeneficiaryExitedV1,
    BeneficiaryReopenedV1,
    PseudonymRekeyedV1,
    BeneficiaryForgottenV1,
    VacancyOpenedV1,
    VacancyFilledV1,
    ConventionSignedV1,
    CommitmentEvaluatedV1,
    PeriodSubmittedV1,
    PeriodApprovedV1,
    *DIRECTORY,
)
