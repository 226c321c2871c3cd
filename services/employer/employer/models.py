"""Employer tables (SQLAlchemy 2). Built by the migrations in ``migrations/``."""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
