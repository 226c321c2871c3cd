"""Matching tables (SQLAlchemy 2): the service's own view of people and vacancies, built from events, and proposals.

Matching never reads another service's database: ``candidate`` and
``vacancy`` are what the beneficiary and employer events said, kept only as
long as they are useful (an erased person is deleted, and remembered only by
reference in ``erased_candidate`` so a replayed event cannot bring them back).
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Candidate(Base):
    """A person as matching sees them: last assessment, last agreed plan, placement."""

    __tablename__ = "candidate"

    beneficiary_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality: Mapped[str | None] = mapped_column(String(5))
    assessed_on: Mapped[date | None] = mapped_column(Date)
    # [{code, level, kind}] from the latest assessment.
    competences: Mapped[list] = mapped_column(JSON, default=list)
    plan_version: Mapped[int | None] = mapped_column(Integer)
    target_occupations: Mapped[list] = mapped_column(JSON, default=list)
    contract_wishes: Mapped[list] = mapped_column(JSON, default=list)
    hours_wish: Mapped[int | None] = mapped_column(Integer)
    mobility_km: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[date | None] = mapped_column(Date)
    # Set by contract_signed: a placed person is no longer proposed.
    placed_on: Mapped[date | None] = mapped_column(Date)
    # Why: the ranking index in memory is rebuilt when count or latest change moves.
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ErasedCandidate(Base):
    __tablename__ = "erased_candidate"

    beneficiary_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class Vacancy(Base):
    __tablename__ = "vacancy"

    vacancy_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    employer_id: Mapped[str] = mapped_column(String(64))
    occupation: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300), default="")
    # [{code, level, essential}]
    competences: Mapped[list] = mapped_column(JSON, default=list)
    contract_type: Mapped[str | None] = mapped_column(String(20))
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    municipality: Mapped[str | None] = mapped_column(String(5))
    posts: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Proposal(Base):
    """A person proposed for a vacancy, and where the proposal stands (see ``matching.domain.TRANSITIONS``)."""

    __tablename__ = "proposal"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vacancy_id: Mapped[str] = mapped_column(String(64), index=True)
    beneficiary_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProposalStep(Base):
    """Who moved a proposal, from where to where, when (the audit of the state machine)."""

    __tablename__ = "proposal_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
