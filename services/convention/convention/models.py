"""Convention tables (SQLAlchemy 2). Built by the migrations in ``migrations/``.

A training ``Project`` links two conventions: Mission–employer and
Mission–training operator(s). Each convention is versioned: an amendment is a
new row (``previous_id``), the old one kept. Trainees, confirmation
internships and committees belong to the project, so they outlive amendments.
Beneficiaries are held by reference only (``beneficiary_id``), never with a
name or a note, and the reference is forgotten on erasure.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.corrections import CorrectionLog


class Base(DeclarativeBase):
    pass


class Project(Base):
    __tablename__ = "project"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The employer service's records, by reference.
    vacancy_id: Mapped[str] = mapped_column(String(36), index=True)
    employer_id: Mapped[str] = mapped_column(String(36), index=True)
    # The vacancy's last status as the employer service announced it (None until it says).
    vacancy_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class Convention(Base):
    __tablename__ = "convention"
    __table_args__ = (UniqueConstraint("project_id", "kind", "version", name="uq_convention_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    # The version this one amends (None for the first).
    previous_id: Mapped[str | None] = mapped_column(ForeignKey("convention.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    # Mission–employer: the post, how many trainees the employer commits to hire, the contract offered.
    post_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    hires_committed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    contract_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    hours_per_week: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Where the trainees will work (REFNIS): the agency of that region hears of the project (contracts.agency).
    workplace_municipality: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # Mission–training operator(s): profile, specification, hours, schedule, places.
    training_profile: Mapped[str | None] = mapped_column(String(200), nullable=True)
    specification: Mapped[str | None] = mapped_column(Text, nullable=True)
    hours_centre: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hours_work: Mapped[int | None] = mapped_column(Integer, nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    trainees_planned: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The hiring commitment as evaluated at the employer convention's completion.
    hires_actual: Mapped[int | None] = mapped_column(Integer, nullable=True)
    commitment_outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Party(Base):
    """One party to a convention and, once recorded, its signature."""

    __tablename__ = "convention_party"
    __table_args__ = (UniqueConstraint("convention_id", "party", name="uq_convention_party"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    convention_id: Mapped[str] = mapped_column(ForeignKey("convention.id", ondelete="CASCADE"), index=True)
    # "mission", "employer" or "operator:<enterprise number>".
    party: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    enterprise_number: Mapped[str | None] = mapped_column(String(10), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Who signed for the party (a representative, not a beneficiary), and who recorded it.
    signer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signer_function: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class ConventionTransition(Base):
    __tablename__ = "convention_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    convention_id: Mapped[str] = mapped_column(ForeignKey("convention.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The party whose signature caused the move, if one did.
    party: Mapped[str | None] = mapped_column(String(20), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100))


class Internship(Base):
    """A confirmation internship and its outcome: what allows (or not) enrolment."""

    __tablename__ = "internship"
    __table_args__ = (UniqueConstraint("project_id", "beneficiary_id", name="uq_internship_person"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    # None once the person is erased: the outcome is kept for counts.
    beneficiary_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    host_employer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(12))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(100))


class Trainee(Base):
    __tablename__ = "trainee"
    __table_args__ = (UniqueConstraint("project_id", "beneficiary_id", name="uq_trainee_person"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    # None once the person is erased: the status is kept for counts.
    beneficiary_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    internship_id: Mapped[str | None] = mapped_column(ForeignKey("internship.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    hired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    contract_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # A code (drop-out or not-hired reason), never free text about the person.
    outcome_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The tutor at the company: an employee of the employer.
    tutor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tutor_function: Mapped[str | None] = mapped_column(String(100), nullable=True)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TraineeTransition(Base):
    __tablename__ = "trainee_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trainee_id: Mapped[str] = mapped_column(ForeignKey("trainee.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100))


class Committee(Base):
    """A follow-up or pedagogical committee meeting, its attendees (organisations) and decisions."""

    __tablename__ = "committee"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    kind: Mapped[str] = mapped_column(String(15))
    held_on: Mapped[date] = mapped_column(Date)
    # Party keys of the organisations present.
    attendees: Mapped[list] = mapped_column(JSON)
    # [{trainee_id, kind, until?, tutor_name?, tutor_function?}]: codes and dates, no notes on a person.
    decisions: Mapped[list] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_role: Mapped[str] = mapped_column(String(100))


# -- meetings with partners (convention.meetings) ------------------------------
class Meeting(Base):
    """A meeting of the Mission with its local partner organisations (a CLAIS forum), its agenda and, once
    held, its minutes: attendance per organisation, the Mission's staff present and the decisions.

    A meeting is about projects and organisations: no column names or refers to a job seeker, and the
    minutes' free text is never copied into an event.
    """

    __tablename__ = "meeting"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    # "HH:MM", local time, when known.
    starts_at: Mapped[str | None] = mapped_column(String(5), nullable=True)
    place: Mapped[str] = mapped_column(String(200))
    # [{title, detail}], in the order of the meeting.
    agenda: Mapped[list] = mapped_column(JSON)
    # planned → closed (minutes recorded); a closed meeting's minutes change only by correction.
    status: Mapped[str] = mapped_column(String(12), index=True)
    # Counts corrections of the closed minutes (kit.corrections): 1 when they are first recorded.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # {partner_id: "present" | "excused" | "absent"} for every organisation invited.
    attendance: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # [{name, function}]: the Mission's own staff, not the partners' or anyone followed.
    staff_present: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # [{text, acts: "mission" | partner_id, due_on}], in the order they were taken.
    decisions: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class MeetingProject(Base):
    """A project the meeting concerns (this service's own projects)."""

    __tablename__ = "meeting_project"

    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), primary_key=True, index=True)


class MeetingPartner(Base):
    """A partner organisation invited (the employer service's partner directory, by reference)."""

    __tablename__ = "meeting_partner"

    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    # The organisation's type as the directory said when it was invited (CPAS, ALE, OISP…).
    partner_type: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Correction(CorrectionLog, Base):
    """Corrections of closed minutes (kit.corrections): who changed which part, from what to what."""
