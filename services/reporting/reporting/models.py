"""Reporting tables: facts taken from events, never from another service's database."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, SmallInteger, String, Text, UniqueConstraint
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


class SectorAlias(Base):
    """A pseudonym re-derived under a new sector key (sector mode): facts under ``previous`` are ``pseudonym``'s.

    Written from the Missions' ``pseudonym_rekeyed`` events; chains are resolved on write, so ``pseudonym``
    is always the latest. ``previous_person`` and ``person`` are the two pseudonyms' 63-bit keys
    (``reporting.ingest.key64``), which the engine maps when it loads the fact log.
    """

    __tablename__ = "sector_alias"

    previous: Mapped[str] = mapped_column(String(32), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), index=True)
    previous_person: Mapped[int] = mapped_column(BigInteger)
    person: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(16))


class SectorForgotten(Base):
    """A pseudonym a Mission has erased (sector mode): its later facts from that Mission are refused.

    Pseudonyms only (``reporting.forget``); ``month`` is the month of the erasure.
    """

    __tablename__ = "sector_forgotten"

    mission: Mapped[str] = mapped_column(String(20), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))


class _Coded:
    """The fact's codes, derived from its event by ``reporting.ingest`` (the aggregation engine reads only these).

    They are a pure function of the event and the catalogue, so replaying the events rebuilds them exactly.
    """

    kind: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # catalogue.TYPES code
    day: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # yyyymmdd that dates it
    person: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # keyed 63-bit person key
    entity: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # vacancy, convention…
    tag: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # catalogue.TAG_VALUES code
    gender: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    age: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    groups: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # target-group bit mask
    municipality: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # NIS code


class Fact(_Coded, Base):
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


class SectorFact(_Coded, Base):
    """A pseudonymous fact as InterMire receives it (sector mode)."""

    __tablename__ = "sector_fact"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mission: Mapped[str] = mapped_column(String(20), index=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    # Whom or what the fact is about: a person's pseudonym, or a vacancy's or a convention's reference (a UUID).
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    data: Mapped[dict] = mapped_column(JSON)


class ErasedSubject(Base):
    """Tombstone: facts about an erased person that arrive later (a replay) are kept anonymous."""

    __tablename__ = "erased_subject"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The random key the person's facts are counted under since the erasure (statistical residue).
    residue: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class MergedSubject(Base):
    """A provisional file merged into the file that holds the person's number (mission mode): the facts logged
    under ``subject`` were re-attributed to ``into``, and facts about ``subject`` that arrive later (a replay, a
    late event of another service) are logged under ``into`` too: one person in the Mission's tables."""

    __tablename__ = "merged_subject"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    into: Mapped[str] = mapped_column(String(64))


class SectorRetention(Base):
    """InterMire's retention mark (sector mode, one row): facts dated before ``facts_before`` were dropped
    (``reporting.retention``), so no table of an earlier period is computed again."""

    __tablename__ = "sector_retention"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facts_before: Mapped[str] = mapped_column(String(7))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Submission(Base):
    """A Mission's figures for one period, as submitted and, once approved, frozen.

    A correction of an approved period is a new version; ``diff`` shows what changed from the approved one.
    """

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("period", "version", name="uq_submission_period_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # submitted, approved, superseded
    catalogue_version: Mapped[int] = mapped_column(Integer)
    figures: Mapped[dict] = mapped_column(JSON)
    diff: Mapped[list | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SectorSubmission(Base):
    """A Mission's period submission as InterMire hears of it (sector mode): status and versions, and which
    figures a version changed (their names, never their values)."""

    __tablename__ = "sector_submission"

    mission: Mapped[str] = mapped_column(String(20), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True, index=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # submitted, approved, superseded
    catalogue_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    correction: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    changed: Mapped[list | None] = mapped_column(JSON, nullable=True)
    submitted_on: Mapped[str | None] = mapped_column(String(10), nullable=True)
    approved_on: Mapped[str | None] = mapped_column(String(10), nullable=True)


class SectorPartner(Base):
    """A partner organisation a Mission shares in the sector directory, as its latest event told (sector mode).

    No person: the organisation, its channel and the services it offers (``contracts.sector``). A row stays
    after unpublishing (``published`` false, its content cleared) so that an older event redelivered later,
    with a lower ``revision``, cannot bring it back."""

    __tablename__ = "sector_partner"

    mission: Mapped[str] = mapped_column(String(20), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200))
    # {partner_type, municipalities, contact, services}: what the event carried, as it carried it.
    listing: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
