"""Beneficiary tables (SQLAlchemy 2). Built by the migrations in ``migrations/``."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Beneficiary(Base):
    __tablename__ = "beneficiary"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # National register number, digits only; never leaves this table.
    niss: Mapped[str] = mapped_column(String(11), unique=True)
    # HMAC of the NISS under the sector key: what other Missions and InterMire see.
    pseudonym: Mapped[str] = mapped_column(String(32), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    municipality: Mapped[str] = mapped_column(String(5))
    registered_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
