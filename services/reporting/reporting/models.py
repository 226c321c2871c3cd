"""Reporting tables: facts taken from events, never from another service's database."""

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Entry(Base):
    """A person who entered the Mission's accompaniment (mission mode)."""

    __tablename__ = "entry"

    beneficiary_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    municipality: Mapped[str] = mapped_column(String(5))
    gender: Mapped[str] = mapped_column(String(1))
    age_band: Mapped[str] = mapped_column(String(10))


class EmployerFact(Base):
    """An employer registered by the Mission (mission mode)."""

    __tablename__ = "employer_fact"

    employer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    nace: Mapped[str] = mapped_column(String(10))


class SectorEntry(Base):
    """A pseudonymous entry as InterMire receives it (sector mode)."""

    __tablename__ = "sector_entry"

    mission: Mapped[str] = mapped_column(String(20), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    age_band: Mapped[str] = mapped_column(String(10))
