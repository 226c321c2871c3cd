"""Employer tables (SQLAlchemy 2). Built by the migrations in ``migrations/``."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, event, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.corrections import CorrectionLog
from kit.search import search_key


class Base(DeclarativeBase):
    pass


class Employer(Base):
    __tablename__ = "employer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Enterprise number (BCE/KBO), ten digits; stays in the Mission.
    enterprise_number: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nace: Mapped[str] = mapped_column(String(10))
    municipality: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    legal_form: Mapped[str | None] = mapped_column(String(3), nullable=True)
    joint_committee: Mapped[str | None] = mapped_column(String(10), nullable=True)
    size_band: Mapped[str | None] = mapped_column(String(10), nullable=True)
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(4), nullable=True)
    account_manager: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The name without accents, case or punctuation (kit.search), kept on every write below.
    search_name: Mapped[str] = mapped_column(String(210), default="", server_default="")
    # How many corrections the record has had, plus one: a correction names the version it read (kit.corrections).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    # Employer search (employer.queries): by sector, municipality and account manager.
    __table_args__ = (
        Index("ix_employer_nace", "nace"),
        Index("ix_employer_municipality", "municipality"),
        Index("ix_employer_account_manager", "account_manager"),
        Index("ix_employer_name", "name", "id"),
    )


@event.listens_for(Employer, "before_insert")
@event.listens_for(Employer, "before_update")
def _keep_search_name(_mapper, _connection, employer: Employer) -> None:
    employer.search_name = search_key(employer.name)


class Contact(Base):
    """A person to talk to at the employer: the minimum to reach them."""

    __tablename__ = "employer_contact"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # How many corrections the record has had, plus one: a correction names the version it read (kit.corrections).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Prospection(Base):
    """A visit, call or e-mail by an employer-relations agent, with the needs it surfaced."""

    __tablename__ = "prospection"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[str] = mapped_column(ForeignKey("employer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    on: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    # [{kind: explicit|surfaced, description, occupation}]
    needs: Mapped[list] = mapped_column(JSON)
    next_action: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_action_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)


class Vacancy(Base):
    __tablename__ = "vacancy"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # None for a public offer imported from Le Forem whose employer the Mission does not know.
    employer_id: Mapped[str | None] = mapped_column(ForeignKey("employer.id"), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(10))
    # The offer's id at its source, for idempotent imports (unique per source).
    source_ref: Mapped[str | None] = mapped_column(String(50), nullable=True, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    occupation: Mapped[str] = mapped_column(String(5), index=True)
    description: Mapped[str] = mapped_column(Text)
    # [{code, level, essential}] in the taxonomy's competence codes.
    competences: Mapped[list] = mapped_column(JSON)
    contract_type: Mapped[str] = mapped_column(String(20))
    hours_per_week: Mapped[int] = mapped_column(Integer)
    municipality: Mapped[str] = mapped_column(String(5))
    posts: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    insertion_process: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A hash of what an import last wrote, so that re-importing an unchanged offer changes nothing.
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # How many corrections the record has had, plus one: a correction names the version it read (kit.corrections).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class VacancyTransition(Base):
    __tablename__ = "vacancy_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vacancy_id: Mapped[str] = mapped_column(ForeignKey("vacancy.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The beneficiary (by reference) who filled a post.
    beneficiary_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100))


class Correction(CorrectionLog, Base):
    """Who corrected which field of an employer, a contact or a vacancy, when, before and after
    (kit.corrections). A contact's values are personal data: they go when the contact is erased."""


# -- the partner directory (employer.partners) ---------------------------------------------------------
class Partner(Base):
    """An organisation the Mission works with (CPAS, ALE, training operator, school…): no person on it."""

    __tablename__ = "partner"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Enterprise number (BCE/KBO), ten digits, where the organisation has one (a commune's service has its
    # commune's, often not given); unlike employers', not unique: two services of one CPAS are two partners.
    enterprise_number: Mapped[str | None] = mapped_column(String(10), nullable=True)
    partner_type: Mapped[str] = mapped_column(String(30), index=True)
    # REFNIS codes of the municipalities served, as given; searched through ``partner_municipality``.
    municipalities: Mapped[list] = mapped_column(JSON)
    # The organisation's channel: {phone, email, website, address}, each optional.
    contact: Mapped[dict] = mapped_column(JSON)
    # Shared with InterMire's sector directory while true (a sector event on each change).
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How many sector events have told InterMire of it: each carries the next, so InterMire keeps the latest.
    shared_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    search_name: Mapped[str] = mapped_column(String(210), default="", server_default="")
    # How many corrections the record has had, plus one (kit.corrections).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (Index("ix_partner_name", "name", "id"),)


@event.listens_for(Partner, "before_insert")
@event.listens_for(Partner, "before_update")
def _keep_partner_search_name(_mapper, _connection, partner: Partner) -> None:
    partner.search_name = search_key(partner.name)


class PartnerMunicipality(Base):
    """One municipality a partner serves: what a search by municipality reads."""

    __tablename__ = "partner_municipality"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(5), primary_key=True, index=True)


class PartnerService(Base):
    """A service a partner offers: what, for whom, for which needs, on which conditions, how to reach it."""

    __tablename__ = "partner_service"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # Codes of employer.partners.NEEDS and TARGET_GROUPS, as given; searched through ``partner_service_tag``.
    needs: Mapped[list] = mapped_column(JSON)
    target_groups: Mapped[list] = mapped_column(JSON)
    conditions: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact: Mapped[dict] = mapped_column(JSON)
    opening_hours: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class PartnerServiceTag(Base):
    """One need or target group of a service (``kind``: need, public): what a search by either reads."""

    __tablename__ = "partner_service_tag"

    service_id: Mapped[str] = mapped_column(ForeignKey("partner_service.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    code: Mapped[str] = mapped_column(String(30), primary_key=True)

    __table_args__ = (Index("ix_partner_service_tag_code", "kind", "code"),)
