"""The sector audience: what a Mission sends InterMire (pseudonyms, codes, bands, months, counts).

Carried out of the Mission by its ``to-sector`` shovel to ``/intermire``.
Never a name, a national number, an enterprise number, a company name or a
contact: a person is their keyed pseudonym (``pseudonym_key`` says under
which sector key it was derived). One class per type and version
(``contracts.payloads``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from contracts.payloads import UNSET, Meta, Payload, UnsetType

Code = Annotated[str, Meta(max_length=64)]
Ref = Annotated[str, Meta(min_length=1, max_length=64)]
Pseudonym = Annotated[str, Meta(min_length=1, max_length=64)]
Month = Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}$")]
Day = date

B, E, C, R = "be.mire.beneficiary.", "be.mire.employer.", "be.mire.convention.", "be.mire.reporting."
Period = Annotated[str, Meta(pattern=r"^[0-9]{4}(-Q[1-4]|-[0-9]{2})?$")]


class Sector(Payload, frozen=True, kw_only=True):
    AUDIENCE: ClassVar[str] = "sector"


# -- beneficiary -------------------------------------------------------------
class Person(Sector, frozen=True, kw_only=True):
    """What every sector fact about a person carries: who (pseudonymously) and the counting dimensions."""

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
    SUMMARY: ClassVar[str] = "A person moved along the path."
    from_stage: Code | None
    to_stage: Code
    kind: Code
    on: Day
    month: Month


class BeneficiaryDroppedOutV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "dropped_out.v1"
    SUMMARY: ClassVar[str] = "A person left the path before its end."
    stage: Code
    reason: Code
    on: Day
    month: Month


class BeneficiaryContractSignedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "contract_signed.v1"
    SUMMARY: ClassVar[str] = "A person signed a first employment contract."
    signed_on: Day
    contract_type: Code
    hours_per_week: int | None
    month: Month


class BeneficiarySixMonthOutcome(Person, frozen=True, kw_only=True):
    signed_on: Day
    checked_on: Day
    source: Code | None
    month: Month


class BeneficiaryEmployedAfterSixMonthsV1(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "employment_confirmed_6m.v1"
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is employed."


class BeneficiaryNotEmployedAfterSixMonthsV1(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "employment_not_confirmed_6m.v1"
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is no longer employed."


class BeneficiaryExitedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "exited.v1"
    SUMMARY: ClassVar[str] = "A person's path ended."
    reason: Code
    on: Day
    month: Month


class BeneficiaryReopenedV1(Person, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "reopened.v1"
    SUMMARY: ClassVar[str] = (
        "A person who had left came back: a new episode of the same person (same pseudonym) started, dated by "
        "its start. Indicators of episodes count it; indicators of distinct persons count the person once."
    )
    episode: Annotated[int, Meta(ge=2)]
    started_on: Day
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
class EmployerRegisteredV1(Sector, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "registered.v1"
    SUMMARY: ClassVar[str] = "A Mission registered an employer (sector, size and place only)."
    employer_id: Ref
    nace: Code
    municipality: Code
    size_band: Code | None
    registered_month: Month


class Vacancy(Sector, frozen=True, kw_only=True):
    vacancy_id: Ref
    occupation: Code
    municipality: Code | None
    posts: int
    filled: int
    status: Code
    month: Month
    on: Day


class VacancyOpenedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_opened.v1"
    SUMMARY: ClassVar[str] = "A vacancy the Mission prospected was opened."


class VacancyUpdatedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_updated.v1"
    SUMMARY: ClassVar[str] = "A vacancy the Mission prospected changed."


class VacancyFilledV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_filled.v1"
    SUMMARY: ClassVar[str] = "A vacancy the Mission prospected was filled."


class VacancyClosedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_closed.v1"
    SUMMARY: ClassVar[str] = "A vacancy the Mission prospected was closed."


# -- convention --------------------------------------------------------------
class Convention(Sector, frozen=True, kw_only=True):
    convention_id: Ref
    project_id: Ref
    kind: Code
    version: int
    month: Month


class ConventionSignedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "signed.v1"
    SUMMARY: ClassVar[str] = "A convention was signed: its committed hires or planned trainees and hours."
    hires_committed: int | None | UnsetType = UNSET
    contract_type: Code | None | UnsetType = UNSET
    hours_per_week: int | None | UnsetType = UNSET
    trainees_planned: int | None | UnsetType = UNSET
    hours_centre: int | None | UnsetType = UNSET
    hours_work: int | None | UnsetType = UNSET


class ConventionCompletedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "completed.v1"
    SUMMARY: ClassVar[str] = "A convention reached its end; its trainees counted by status."
    trainees: dict[str, int]


class Trainee(Convention, frozen=True, kw_only=True):
    status: Code
    count: Annotated[int, Meta(ge=1)]
    contract_type: Code | None | UnsetType = UNSET
    reason: Code | None | UnsetType = UNSET


class TraineeEnrolledV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_enrolled.v1"
    SUMMARY: ClassVar[str] = "A trainee was enrolled (counted, never named)."


class TraineeHiredV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_hired.v1"
    SUMMARY: ClassVar[str] = "A trainee was hired (counted, never named)."


class CommitmentEvaluatedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "commitment_evaluated.v1"
    SUMMARY: ClassVar[str] = "An employer convention's hiring commitment was evaluated."
    hires_committed: int | None
    hires_actual: int | None
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
    EmployerRegisteredV1,
    VacancyOpenedV1,
    VacancyUpdatedV1,
    VacancyFilledV1,
    VacancyClosedV1,
    ConventionSignedV1,
    ConventionCompletedV1,
    TraineeEnrolledV1,
    TraineeHiredV1,
    CommitmentEvaluatedV1,
    PeriodSubmittedV1,
    PeriodApprovedV1,
)
