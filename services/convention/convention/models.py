"""Convention tables (SQLAlchemy 2). For now only the kit's outbox and inbox (see kit.storage)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
