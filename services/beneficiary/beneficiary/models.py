"""Beneficiary tables (SQLAlchemy 2). Built by the migrations in ``migrations/``.

Everything here is personal data of the Mission's own people and stays in
this service, except ``erasure_residue`` (what statistics keep of an erased
person) and ``audit`` (who read whose file, by reference only).
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, event, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.corrections import CorrectionLog
from kit.search import search_key


class Base(DeclarativeBase):
    pass


class Beneficiary(Base):
    __tablename__ = "beneficiary"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # National register or BIS number, digits only; never leaves this table. None for a provisional identity
    # (taken in with neither number yet): unique among the numbers, NULLs apart, on SQLite and PostgreSQL alike.
    niss: Mapped[str | None] = mapped_column(String(11), unique=True, nullable=True)
    # Its kind: 'national_register' or 'bis' (beneficiary.enums.NISS_KINDS), set at intake (domain.niss_kind),
    # or 'provisional' until the number is known (beneficiary.identity).
    niss_kind: Mapped[str] = mapped_column(String(20), default="national_register", server_default="national_register")
    # HMAC of the NISS under the sector key: what other Missions and InterMire see. A provisional identity's
    # is random (nothing to derive it from); completing the identity renames it at InterMire (beneficiary.identity).
    pseudonym: Mapped[str] = mapped_column(String(32), index=True)
    # Which sector key made it (kit.pseudonym.key_id): a rotation re-derives the others ('' = before key ids).
    pseudonym_key: Mapped[str] = mapped_column(String(16), index=True, default="", server_default="")
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    municipality: Mapped[str] = mapped_column(String(5))
    registered_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    referrer_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    referrer_organisation: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Path state: the current stage, and whether the path is active, dropped out or exited.
    stage: Mapped[str] = mapped_column(String(20), default="accueil")
    status: Mapped[str] = mapped_column(String(12), default="active")
    counsellor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # First and last name without accents, case or punctuation (kit.search), kept on every write below.
    search_name: Mapped[str] = mapped_column(String(210), default="", server_default="")
    # When the current plan falls due for review: its latest version's ``review_due``, kept by the event
    # below, so that what is due reads one indexed column instead of finding each person's latest version.
    plan_review_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # How many corrections the file has had, plus one: a correction names the version it read (kit.corrections).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The current episode's number (``Episode``): 1 from intake, one more at each re-opening of a closed file.
    episode: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    # Search and caseload (beneficiary.queries): a counsellor's people by stage, lists by name. A search by
    # name (LIKE '%word%' on the key) reads the two indexes holding the key instead of every row (0008).
    __table_args__ = (
        Index("ix_beneficiary_counsellor_status_stage", "counsellor", "status", "stage"),
        Index("ix_beneficiary_by_name", "last_name", "first_name", "id", "search_name"),
        Index("ix_beneficiary_search_name", "search_name"),
        Index("ix_beneficiary_stage", "stage"),
        Index("ix_beneficiary_municipality", "municipality"),
        Index("ix_beneficiary_registered_on", "registered_on"),
    )


@event.listens_for(Beneficiary, "before_insert")
@event.listens_for(Beneficiary, "before_update")
def _keep_search_name(_mapper, _connection, person: Beneficiary) -> None:
    person.search_name = search_key(person.first_name, person.last_name)


class TargetGroup(Base):
    __tablename__ = "target_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True)
    group: Mapped[str] = mapped_column(String(30), index=True)
    # What shows the person belongs to the group; sensitive for some groups (kit.permissions).
    evidence: Mapped[str] = mapped_column(String(300))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)


class Episode(Base):
    """One stretch of accompaniment on the file: intake (episode 1) or a re-opening, until exit or drop-out.

    A person who left and comes back keeps one file; each return is a new episode. Path entries, plan
    versions and contracts carry the number of the episode they belong to (their ``episode`` column), so an
    earlier episode stays readable as it was."""

    __tablename__ = "episode"

    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_on: Mapped[date] = mapped_column(Date)
    # Set at exit or drop-out (cleared if a dropped-out person re-enters the same episode).
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # How it ended: 'exited' or 'dropped_out', with the reason recorded then.
    outcome: Mapped[str | None] = mapped_column(String(12), nullable=True)
    outcome_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # Who sent the person back (episode 1: the intake's referrer, copied by the migration and by intake).
    referrer_type: Mapped[str | None] = mapped_column(String(30), nullable=True)
    referrer_organisation: Mapped[str | None] = mapped_column(String(200), nullable=True)
    why: Mapped[str | None] = mapped_column(String(500), nullable=True)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The partner's referral this episode was opened from, if it was (``beneficiary.referrals``).
    referral_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class Disclosure(Base):
    """A legal basis or the person's consent for telling an agency about their path."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(10))
    basis: Mapped[str] = mapped_column(String(12))
    # The decree article, or the signed consent form's reference.
    reference: Mapped[str] = mapped_column(String(200))
    # The person's file number at the agency: how the agency recognises them without a NISS.
    agency_reference: Mapped[str | None] = mapped_column(String(50), nullable=True)
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Assessment(Base):
    __tablename__ = "assessment"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_by: Mapped[str] = mapped_column(String(100))
    # [{code, level, kind, source}] in the occupational taxonomy's competence codes.
    competences: Mapped[list] = mapped_column(JSON)


class PlanVersion(Base):
    """One negotiated version of the insertion plan; versions are kept, never edited."""

    __tablename__ = "plan_version"

    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The episode the plan was agreed in: versions number on across episodes, the current plan is the
    # latest version of the current episode.
    episode: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    target_occupations: Mapped[list] = mapped_column(JSON)
    missing_competences: Mapped[list] = mapped_column(JSON)
    actions: Mapped[list] = mapped_column(JSON)
    contract_wishes: Mapped[list] = mapped_column(JSON)
    hours_wish: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mobility_km: Mapped[int] = mapped_column(Integer)
    available_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    agreed_by: Mapped[str] = mapped_column(String(100))
    agreed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The plan is negotiated: it counts only once the person agreed too.
    agreed_with_person: Mapped[bool] = mapped_column(Boolean)
    # The earliest due date among its actions: when the plan falls due for review (beneficiary.queries).
    review_due: Mapped[date | None] = mapped_column(Date, nullable=True)


def plan_review_due(actions: list) -> date | None:
    """The earliest ``due`` (ISO date) among a plan's actions, or None when no action has one."""
    dues = [a.get("due") for a in actions or [] if a.get("due")]
    return date.fromisoformat(min(dues)) if dues else None


@event.listens_for(PlanVersion, "before_insert")
def _keep_review_due(_mapper, _connection, plan: PlanVersion) -> None:
    plan.review_due = plan_review_due(plan.actions)


@event.listens_for(PlanVersion, "after_insert")
def _keep_current_review_due(_mapper, connection, plan: PlanVersion) -> None:
    # Versions are only ever added, each above the last: the one written is the current plan.
    people = Beneficiary.__table__
    connection.execute(
        people.update().where(people.c.id == plan.beneficiary_id).values(plan_review_due=plan.review_due)
    )


class StageTransition(Base):
    __tablename__ = "stage_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_stage: Mapped[str] = mapped_column(String(20))
    # "entered", "moved", "dropped_out", "reentered", "exited", "reopened"
    kind: Mapped[str] = mapped_column(String(12))
    # The episode the move belongs to ("reopened" is the first move of its episode).
    episode: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    why: Mapped[str | None] = mapped_column(String(500), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))


class Note(Base):
    """Accompaniment note: never in an event, export, error message or log line."""

    __tablename__ = "note"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Contract(Base):
    """The first contract signed in an episode, and the six-month check it schedules."""

    __tablename__ = "contract"

    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), primary_key=True)
    # One first contract per episode: a person who comes back may sign again (0013).
    episode: Mapped[int] = mapped_column(Integer, primary_key=True, default=1, server_default="1")
    signed_on: Mapped[date] = mapped_column(Date)
    employer_id: Mapped[str] = mapped_column(String(36))
    contract_type: Mapped[str] = mapped_column(String(20))
    hours_per_week: Mapped[int] = mapped_column(Integer)
    check_due: Mapped[date] = mapped_column(Date, index=True)
    checked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    still_employed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    check_source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Where the job is (REFNIS): a job in Brussels concerns Actiris, one in Wallonia Le Forem (contracts.agency).
    workplace_municipality: Mapped[str | None] = mapped_column(String(5), nullable=True)


class Audit(Base):
    """Who read or changed whose file, when and why. By reference only."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    purpose: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(36), index=True)

    # The data-protection officer's review lists one user's reads (``audit_entries(user=...)``), newest first.
    __table_args__ = (Index("ix_audit_actor_at", "actor", "at"),)


class IdentityMerge(Base):
    """The trace of a provisional file folded into the file that already held the person's number: who merged
    which file into which, when, and how many records of each kind moved. By reference only; the merged
    file no longer exists, so a later reference to it finds this row (``beneficiary.identity``)."""

    __tablename__ = "identity_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merged_id: Mapped[str] = mapped_column(String(36), unique=True)
    into_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(30))
    # {"assessments": 2, "plan_versions": 1, ...}: what the merged file held and the surviving one took.
    moved: Mapped[dict] = mapped_column(JSON)


class ErasureResidue(Base):
    """What statistics keep of an erased person: months and codes, nothing that identifies."""

    __tablename__ = "erasure_residue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registered_month: Mapped[str] = mapped_column(String(7))
    erased_month: Mapped[str] = mapped_column(String(7))
    age_band: Mapped[str] = mapped_column(String(10))
    gender: Mapped[str] = mapped_column(String(1))
    municipality: Mapped[str] = mapped_column(String(5))
    last_stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))


class FollowedElsewhere(Base):
    """InterMire's signal that a person of this Mission is followed by other Missions too."""

    __tablename__ = "followed_elsewhere"

    pseudonym: Mapped[str] = mapped_column(String(32), primary_key=True)
    missions: Mapped[list] = mapped_column(JSON)
    signalled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Correction(CorrectionLog, Base):
    """Who corrected which field of whose file, when, and the value before and after (kit.corrections).

    The values are the person's personal data: they stay here and go with the person when erased."""


class Transfer(Base):
    """One side of a file's transfer between Missions (``beneficiary.transfers``), by the transfer's id.

    The sending Mission keeps its request (to whom, why, the person's consent, what moves) and the answer;
    the receiving Mission keeps what it was sent in ``file`` only until it answers: accepted, the file is
    written from it; declined, it is dropped. Either way the row stays, as the audit of the transfer."""

    __tablename__ = "transfer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # enums.SENT or enums.RECEIVED
    mission: Mapped[str] = mapped_column(String(32))  # the other Mission
    # The sender's file; at the receiver, the file made by accepting (None before).
    beneficiary_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    # The person consented to the transfer (required), and to their notes moving with it (optional).
    consent: Mapped[bool] = mapped_column(Boolean)
    notes_consent: Mapped[bool] = mapped_column(Boolean)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_on: Mapped[date] = mapped_column(Date)
    # What moves, as counts ({"identity": 1, "target_groups": n, "path_steps": n, "plans": n, "notes": n}).
    moves: Mapped[dict] = mapped_column(JSON)
    answered_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    answered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    answer_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # At the sender: the request's event id, whose outbox row (the file itself) is deleted once answered.
    event_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # At the receiver, until it answers: the request's data (identity, path, plans, notes).
    file: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)

    __table_args__ = (Index("ix_transfer_direction_status", "direction", "status"),)


class Orientation(Base):
    """An orientation of a person to a partner's service, made from their plan (``beneficiary.orientations``).

    The service is the employer service's partner directory's (checked there when the orientation is made);
    its partner's type is kept from that check, since the indicators count by it and the directory may
    change. ``purpose`` and ``outcome_reason`` are free text about the person: personal data of the file,
    copied for subject access and deleted with the file."""

    __tablename__ = "orientation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    beneficiary_id: Mapped[str] = mapped_column(String(36), index=True)
    episode: Mapped[int] = mapped_column(Integer)
    # The plan version current when the orientation was made (None: no plan agreed yet).
    plan_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_id: Mapped[str] = mapped_column(String(36))
    partner_type: Mapped[str] = mapped_column(String(30))
    purpose: Mapped[str] = mapped_column(String(500))
    appointment_on: Mapped[date] = mapped_column(Date)
    # What the person agreed may be passed to the partner (beneficiary.orientation_rules.SHARED), and that
    # they agreed: required as soon as anything is shared.
    shared: Mapped[list] = mapped_column(JSON)
    consent: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    made_by: Mapped[str] = mapped_column(String(100))
    made_on: Mapped[date] = mapped_column(Date)
    outcome_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    outcome_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Goes up with each outcome recorded: an outcome is recorded on the version read (409 otherwise).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Referral(Base):
    """A person referred to the Mission by a local partner (``beneficiary.referrals``), and the answer.

    What the partner gave (who, why, the person's consent to being referred) is kept as given; accepting
    opens a file through intake (``beneficiary_id``), declining keeps the reason, which the partner reads.
    ``inform_referrer``: the person agreed that the partner be told whether they are in accompaniment or
    their path ended; without it the partner reads "accepted" and nothing more."""

    __tablename__ = "referral"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The partner directory's organisation that referred, its type then, and the partner's user.
    organisation: Mapped[str] = mapped_column(String(64))
    partner_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    niss: Mapped[str | None] = mapped_column(String(11), nullable=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # search_key(first, last): the same person re-referred is found accents and case aside.
    search_name: Mapped[str] = mapped_column(String(210))
    birth_date: Mapped[date] = mapped_column(Date)
    municipality: Mapped[str] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str] = mapped_column(String(1000))
    target_groups: Mapped[list] = mapped_column(JSON)  # codes of enums.TARGET_GROUPS the partner knows of
    consent: Mapped[bool] = mapped_column(Boolean)  # to being referred: required, always true when kept
    status: Mapped[str] = mapped_column(String(10))  # enums.REFERRAL_STATUSES
    answered_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    answered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decline_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    beneficiary_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    inform_referrer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_referral_status_submitted", "status", "submitted_at"),
        Index("ix_referral_organisation", "organisation", "submitted_at"),
        Index("ix_referral_same_person", "organisation", "search_name", "birth_date"),
    )


class AgencyFact(Base):
    """What an agency told this Mission about a person (``beneficiary.agency_facts``): a registration status, a
    training entered or left, employment started or ended, a six-month verification answered. Kept as the agency
    sent it, for the counsellor team; nothing on the file changes by it."""

    __tablename__ = "agency_fact"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    beneficiary_id: Mapped[str] = mapped_column(ForeignKey("beneficiary.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(10))
    # The agency's CloudEvents id: applied once (the inbox), and unique here besides.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    # The day the fact happened, as the agency dates it (the type's first date: on, started_on, ended_on...).
    occurred_on: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The event's data without the addressing (mission, agency_reference): the fields as the contract names them.
    facts: Mapped[dict] = mapped_column(JSON)


class AgencyRefusal(Base):
    """An agency's event this Mission refused, and why: what the agency read on its feedback queue. No person
    in it (the refused event may name none this Mission knows); its reason names the agency's reference."""

    __tablename__ = "agency_refusal"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(10))
    event_type: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    refused_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
