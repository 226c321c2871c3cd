"""Reporting tables: facts taken from events, never from another service's database."""

from sqlalchemy import JSON, String
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


class Fact(Base):
    """Every fact of a person's path the Mission's services published, as received (mission mode).

    The raw material of every indicator: any past period can be recomputed from it.
    ``subject`` is the beneficiary reference, replaced by ``erased`` when the person is erased.
    """

    __tablename__ = "fact"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    data: Mapped[dict] = mapped_column(JSON)


class SectorFact(Base):
    """A pseudonymous fact as InterMire receives it (sector mode)."""

    __tablename__ = "sector_fact"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mission: Mapped[str] = mapped_column(String(20), index=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    pseudonym: Mapped[str] = mapped_column(String(32), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    data: Mapped[dict] = mapped_column(JSON)


class ErasedSubject(Base):
    """Tombstone: facts about an erased person that arrive later (a replay) are kept anonymous."""

    __tablename__ = "erased_subject"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
