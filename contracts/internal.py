"""The internal audience: events between the services of one Mission (never leave its vhost).

References, codes, counts and dates; never a name, a national number, an
accompaniment note or target-group evidence. One class per type and version
(``contracts.payloads``); the services' ``events.py`` build them, matching
and reporting load them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar

from contracts.payloads import UNSET, Meta, Payload, Record, UnsetType

Ref = Annotated[str, Meta(min_length=1, max_length=64)]
Code = Annotated[str, Meta(max_length=64)]
Day = date

B, E, C, M = "be.mire.beneficiary.", "be.mire.employer.", "be.mire.convention.", "be.mire.matching."


class Internal(Payload, frozen=True, kw_only=True):
    AUDIENCE: ClassVar[str] = "internal"


# -- beneficiary -------------------------------------------------------------
class Beneficiary(Internal, frozen=True, kw_only=True):
    beneficiary_id: Ref


class Competence(Record, frozen=True, kw_only=True):
    code: Annotated[str, Meta(min_length=1, max_length=20)]
    level: Annotated[int, Meta(ge=1, le=4)]
    kind: Code = "technical"


class BeneficiaryRegisteredV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "registered.v1"
    SUMMARY: ClassVar[str] = "A person started a path at the Mission."
    registered_on: Day
    municipality: Code
    gender: Code
    age_band: Code
    target_groups: list[Code]


class BeneficiaryAssessedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "assessed.v1"
    SUMMARY: ClassVar[str] = "The person's competences were assessed."
    municipality: Code | None
    assessed_on: Day
    competences: list[Competence]


class BeneficiaryPlanAgreedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "plan_agreed.v1"
    SUMMARY: ClassVar[str] = "A version of the person's path plan was agreed with them."
    version: Annotated[int, Meta(ge=1)]
    target_occupations: list[Code]
    missing_competences: list[Code]
    contract_wishes: list[Code]
    hours_wish: int | None
    mobility_km: Annotated[int, Meta(ge=0, le=1000)] | None
    available_from: Day | None
    municipality: Code | None
    actions: list[Code]


class BeneficiaryStageChangedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "stage_changed.v1"
    SUMMARY: ClassVar[str] = "The person moved along the path (advanced, went back, resumed)."
    from_stage: Code | None
    to_stage: Code
    kind: Code
    on: Day


class BeneficiaryDroppedOutV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "dropped_out.v1"
    SUMMARY: ClassVar[str] = "The person left the path before its end."
    stage: Code
    reason: Code
    on: Day


class BeneficiaryContractSignedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "contract_signed.v1"
    SUMMARY: ClassVar[str] = "The person signed a first employment contract."
    signed_on: Day
    contract_type: Code
    hours_per_week: int | None
    employer_id: Ref | None
    check_due: Day


class BeneficiarySixMonthOutcome(Beneficiary, frozen=True, kw_only=True):
    signed_on: Day
    checked_on: Day
    source: Code | None


class BeneficiaryEmployedAfterSixMonthsV1(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "employment_confirmed_6m.v1"
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is employed."


class BeneficiaryNotEmployedAfterSixMonthsV1(BeneficiarySixMonthOutcome, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "employment_not_confirmed_6m.v1"
    SUMMARY: ClassVar[str] = "Six months after the first contract, the person is no longer employed."


class BeneficiaryExitedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "exited.v1"
    SUMMARY: ClassVar[str] = "The person's path ended."
    reason: Code
    on: Day


class BeneficiaryReopenedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "reopened.v1"
    SUMMARY: ClassVar[str] = (
        "A person who had left (exited or dropped out) came back: a new episode of their file started, at the "
        "intake stage, with no plan or contract of its own yet."
    )
    episode: Annotated[int, Meta(ge=2)]
    started_on: Day
    # Where the person lives now (matching measures distances from it). Not the referrer: a CPAS, a justice
    # service or AViQ tells of social aid, a justice measure or a disability, which no other service needs.
    municipality: Code


class BeneficiaryCorrectedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "corrected.v1"
    SUMMARY: ClassVar[str] = (
        "The person's file was corrected: which fields changed (never their values when personal), and the "
        "coded facts other services keep as they now stand."
    )
    version: Annotated[int, Meta(ge=2)]
    fields: list[Code]
    municipality: Code
    gender: Code
    age_band: Code
    target_groups: list[Code]


class BeneficiaryErasedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "erased.v1"
    SUMMARY: ClassVar[str] = "The person was erased: every service forgets the link to them."


class BeneficiaryMergedV1(Beneficiary, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "merged.v1"
    SUMMARY: ClassVar[str] = (
        "A provisional file (beneficiary_id, merged away) was folded into the file that holds the person's "
        "number (into): what services hold under the first reference now belongs to the second. Not an erasure."
    )
    into: Ref


class BeneficiaryOrientation(Beneficiary, frozen=True, kw_only=True):
    orientation_id: Ref
    service_id: Ref
    # The partner's type as the partner directory gave it when the orientation was made (what indicators count by).
    partner_type: Code


class BeneficiaryOrientationMadeV1(BeneficiaryOrientation, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "orientation_made.v1"
    SUMMARY: ClassVar[str] = (
        "From the person's plan, the Mission oriented them to a partner's service (references and codes only: "
        "never the purpose, nor what was shared)."
    )
    made_on: Day
    appointment_on: Day
    # The categories the person agreed to share with the partner (codes; the values stay in the file).
    shared: list[Code]


class BeneficiaryOrientationOutcomeV1(BeneficiaryOrientation, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "orientation_outcome.v1"
    SUMMARY: ClassVar[str] = (
        "The outcome of an orientation to a partner's service was recorded: attended, done, not taken up or "
        "cancelled (the reason stays in the file)."
    )
    outcome: Code
    on: Day


# -- referrals in (a partner refers a person to the Mission): ids, the partner's organisation and type only
class Referral(Internal, frozen=True, kw_only=True):
    referral_id: Ref
    # The partner directory's organisation that referred (an organisation, never a person) and its type.
    organisation: Ref
    partner_type: Code | None = None


class ReferralReceivedV1(Referral, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "referral_received.v1"
    SUMMARY: ClassVar[str] = "A partner referred a person to the Mission, with the person's consent."
    on: Day


class ReferralAcceptedV1(Referral, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "referral_accepted.v1"
    SUMMARY: ClassVar[str] = "The Mission accepted a partner's referral: the person's file was opened from it."
    on: Day
    beneficiary_id: Ref


class ReferralDeclinedV1(Referral, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = B + "referral_declined.v1"
    SUMMARY: ClassVar[str] = "The Mission declined a partner's referral (its reason, free text, stays in the service)."
    on: Day


# -- employer ----------------------------------------------------------------
class EmployerRegisteredV1(Internal, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "registered.v1"
    SUMMARY: ClassVar[str] = "An employer was registered by the Mission."
    employer_id: Ref
    nace: Code
    municipality: Code
    size_band: Code | None
    registered_month: Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}$")]


class EmployerCorrectedV1(Internal, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "corrected.v1"
    SUMMARY: ClassVar[str] = (
        "An employer's record was corrected: which fields changed, and the coded facts other services keep as "
        "they now stand. Never a name, an address or a contact (a contact's correction is told to no one)."
    )
    employer_id: Ref
    version: Annotated[int, Meta(ge=2)]
    fields: list[Code]
    nace: Code
    municipality: Code
    size_band: Code | None


class JobCompetence(Record, frozen=True, kw_only=True):
    code: Annotated[str, Meta(min_length=1, max_length=20)]
    level: Annotated[int, Meta(ge=1, le=4)] = 1
    essential: bool = False


class Vacancy(Internal, frozen=True, kw_only=True):
    vacancy_id: Ref
    employer_id: Ref | None
    source: Code
    occupation: Annotated[str, Meta(min_length=1, max_length=5)]
    title: Annotated[str, Meta(max_length=300)]
    competences: list[JobCompetence]
    contract_type: Code | None
    hours_per_week: int | None
    municipality: Code | None
    posts: int
    filled: int
    status: Code
    on: Day
    start_date: Day | None


class VacancyOpenedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_opened.v1"
    SUMMARY: ClassVar[str] = "A vacancy was opened (prospected by the Mission or imported from Le Forem)."


class VacancyUpdatedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_updated.v1"
    SUMMARY: ClassVar[str] = "A vacancy's terms changed."


class VacancyFilledV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_filled.v1"
    SUMMARY: ClassVar[str] = "A vacancy's posts are all filled (by the person named, when the Mission placed them)."
    beneficiary_id: Ref | None | UnsetType = UNSET


class VacancyClosedV1(Vacancy, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = E + "vacancy_closed.v1"
    SUMMARY: ClassVar[str] = "A vacancy was closed without being filled."
    reason: Code | None | UnsetType = UNSET


# -- convention --------------------------------------------------------------
class Convention(Internal, frozen=True, kw_only=True):
    convention_id: Ref
    project_id: Ref
    kind: Code
    version: int
    vacancy_id: Ref | None
    employer_id: Ref | None
    on: Day


class ConventionSignedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "signed.v1"
    SUMMARY: ClassVar[str] = "A convention was signed by every party (its terms: employer or training)."
    hires_committed: int | None | UnsetType = UNSET
    contract_type: Code | None | UnsetType = UNSET
    hours_per_week: int | None | UnsetType = UNSET
    trainees_planned: int | None | UnsetType = UNSET
    hours_centre: int | None | UnsetType = UNSET
    hours_work: int | None | UnsetType = UNSET
    start_date: Day | None | UnsetType = UNSET
    end_date: Day | None | UnsetType = UNSET


class ConventionStatusChanged(Convention, frozen=True, kw_only=True):
    reason: Code | UnsetType = UNSET


class ConventionActivatedV1(ConventionStatusChanged, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "activated.v1"
    SUMMARY: ClassVar[str] = "A signed convention took effect."


class ConventionCancelledV1(ConventionStatusChanged, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "cancelled.v1"
    SUMMARY: ClassVar[str] = "A convention was cancelled."


class ConventionTerminatedV1(ConventionStatusChanged, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "terminated.v1"
    SUMMARY: ClassVar[str] = "A convention in force was ended early."


class ConventionCompletedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "completed.v1"
    SUMMARY: ClassVar[str] = "A convention reached its end; its trainees counted by status."
    trainees: dict[str, int]


class Trainee(Convention, frozen=True, kw_only=True):
    trainee_id: Ref
    status: Code
    contract_type: Code | None | UnsetType = UNSET
    reason: Code | None | UnsetType = UNSET


class TraineeEnrolledV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_enrolled.v1"
    SUMMARY: ClassVar[str] = "A trainee was enrolled in a training convention."


class TraineeDroppedOutV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_dropped_out.v1"
    SUMMARY: ClassVar[str] = "A trainee left the training before its end."


class TraineeCompletedV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_completed.v1"
    SUMMARY: ClassVar[str] = "A trainee completed the training."


class TraineeHiredV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_hired.v1"
    SUMMARY: ClassVar[str] = "A trainee was hired."


class TraineeNotHiredV1(Trainee, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "trainee_not_hired.v1"
    SUMMARY: ClassVar[str] = "A trainee completed the training and was not hired."


class CommitmentEvaluatedV1(Convention, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "commitment_evaluated.v1"
    SUMMARY: ClassVar[str] = "An employer convention's hiring commitment was evaluated against its hires."
    hires_committed: int | None
    hires_actual: int | None
    outcome: Code | None


# A meeting with the Mission's local partners (the CLAIS forum): about projects and partner organisations,
# never about a person. The decisions' text stays in the service: only who acts and by when travel.
class Meeting(Internal, frozen=True, kw_only=True):
    meeting_id: Ref
    project_ids: list[Ref]
    held_on: Day
    # The minutes' version: 1 when first recorded, one more with each correction (a consumer keeps the latest).
    version: Annotated[int, Meta(ge=1)]


class MeetingHeldV1(Meeting, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "meeting_held.v1"
    SUMMARY: ClassVar[str] = "A meeting with partner organisations was held; its attendance recorded, or corrected."
    invited: Annotated[int, Meta(ge=0)]
    present: Annotated[int, Meta(ge=0)]
    excused: Annotated[int, Meta(ge=0)]
    absent: Annotated[int, Meta(ge=0)]
    partners_present: list[Ref]
    staff_present: Annotated[int, Meta(ge=0)]


class MeetingDecision(Record, frozen=True, kw_only=True):
    # "mission", or the reference of the partner organisation that acts.
    acts: Ref
    due_on: Day


class MeetingDecisionsRecordedV1(Meeting, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = C + "meeting_decisions_recorded.v1"
    SUMMARY: ClassVar[str] = "A partner meeting's decisions were recorded, or corrected (a new version of the minutes)."
    decisions: list[MeetingDecision]


# -- matching ----------------------------------------------------------------
class ProposalStep(Internal, frozen=True, kw_only=True):
    proposal_id: Ref
    vacancy_id: Ref
    beneficiary_id: Ref
    at: datetime
    reason: Code | UnsetType = UNSET


class ProposalMadeV1(ProposalStep, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = M + "proposal_made.v1"
    SUMMARY: ClassVar[str] = "A person was proposed for a vacancy."


class ProposalPresentedV1(ProposalStep, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = M + "proposal_presented.v1"
    SUMMARY: ClassVar[str] = "A proposal was presented to the employer."


class InterviewScheduledV1(ProposalStep, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = M + "interview_scheduled.v1"
    SUMMARY: ClassVar[str] = "The employer will interview the person proposed."


class ProposalHiredV1(ProposalStep, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = M + "proposal_hired.v1"
    SUMMARY: ClassVar[str] = "The person proposed was hired."


class ProposalRejectedV1(ProposalStep, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = M + "proposal_rejected.v1"
    SUMMARY: ClassVar[str] = "The employer rejected the proposal (with a reason)."


class ProposalWithdrawnV1(ProposalStep, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = M + "proposal_withdrawn.v1"
    SUMMARY: ClassVar[str] = "The Mission withdrew the proposal."


PAYLOADS: tuple[type[Internal], ...] = (
    BeneficiaryRegisteredV1,
    BeneficiaryAssessedV1,
    BeneficiaryPlanAgreedV1,
    BeneficiaryStageChangedV1,
    BeneficiaryDroppedOutV1,
    BeneficiaryContractSignedV1,
    BeneficiaryEmployedAfterSixMonthsV1,
    BeneficiaryNotEmployedAfterSixMonthsV1,
    BeneficiaryExitedV1,
    BeneficiaryReopenedV1,
    BeneficiaryCorrectedV1,
    BeneficiaryErasedV1,
    BeneficiaryMergedV1,
    BeneficiaryOrientationMadeV1,
    BeneficiaryOrientationOutcomeV1,
    ReferralReceivedV1,
    ReferralAcceptedV1,
    ReferralDeclinedV1,
    EmployerRegisteredV1,
    EmployerCorrectedV1,
    VacancyOpenedV1,
    VacancyUpdatedV1,
    VacancyFilledV1,
    VacancyClosedV1,
    ConventionSignedV1,
    ConventionActivatedV1,
    ConventionCancelledV1,
    ConventionTerminatedV1,
    ConventionCompletedV1,
    TraineeEnrolledV1,
    TraineeDroppedOutV1,
    TraineeCompletedV1,
    TraineeHiredV1,
    TraineeNotHiredV1,
    CommitmentEvaluatedV1,
    MeetingHeldV1,
    MeetingDecisionsRecordedV1,
    ProposalMadeV1,
    ProposalPresentedV1,
    InterviewScheduledV1,
    ProposalHiredV1,
    ProposalRejectedV1,
    ProposalWithdrawnV1,
)
