"""Finding the Mission's employers and the prospection next actions falling due. Read side, free of nameko.

Names are searched through ``Employer.search_name`` (``kit.search``), kept on every write, so accents, case
and punctuation never matter and SQLite and PostgreSQL answer the same.

A prospection's next action falls due on ``next_action_due`` until a later contact with the same employer
is logged (that contact is what the action led to, or replaced it). An item is ``overdue`` once its date
has passed, ``due`` from today to ``horizon_days`` ahead; ``agent`` narrows the list to the actions one
employer-relations agent logged.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates
from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from employer.models import Employer, Prospection
from kit.search import like_all, terms

DEFAULT_HORIZON_DAYS = 30
MAX_HORIZON_DAYS = 366
MAX_DUE_ITEMS = 500
LISTED = ("id", "name", "enterprise_number", "nace", "municipality", "account_manager")
LISTED_COLUMNS = [getattr(Employer, name) for name in LISTED]


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def search_fields() -> dict[str, fields.Field[Any]]:
    """The search criteria, fresh field objects each time (the gateway's query and the service's schema)."""
    return {
        "q": fields.String(validate=validate.Length(1, 100), metadata={"description": "part of the name"}),
        "enterprise_number": fields.String(
            validate=validate.Length(1, 20), metadata={"description": "BCE/KBO number, e.g. 0403.170.701"}
        ),
        "nace": fields.String(
            validate=validate.Regexp(r"^\d{2}(\.\d{1,3})?$", error="a NACE-BEL code or its start, e.g. 43 or 43.2"),
            metadata={"description": "sector: a NACE-BEL code or the start of one"},
        ),
        "municipality": fields.String(validate=validate.Regexp(r"^\d{5}$", error="REFNIS code expected")),
        "account_manager": fields.String(validate=validate.Length(1, 100)),
    }


CRITERIA = tuple(search_fields())


class SearchSchema(Schema.from_dict(search_fields())):  # type: ignore[misc]
    """Search criteria sent to ``EmployerService.search``; every one optional, all of them combined."""

    class Meta:
        unknown = RAISE

    @validates("q")
    def _q(self, value: str, **_: Any) -> None:
        if not terms(value):
            raise ValidationError("give at least one letter or digit of the name")

    @validates("enterprise_number")
    def _number(self, value: str, **_: Any) -> None:
        if len(_digits(value)) not in (9, 10):
            raise ValidationError("an enterprise number has 10 digits (9 in old notations)")


class DueSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    agent = fields.String(load_default=None, validate=validate.Length(1, 100))
    horizon_days = fields.Integer(
        load_default=DEFAULT_HORIZON_DAYS, strict=True, validate=validate.Range(0, MAX_HORIZON_DAYS)
    )


def criteria(query: dict[str, Any]) -> dict[str, Any]:
    """The search criteria of a loaded query, as sent to the RPC."""
    return {name: query[name] for name in CRITERIA if query.get(name) is not None}


def search(session: Session, found: dict[str, Any], offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """Employers matching every criterion of ``found`` (loaded by ``SearchSchema``), by name; (total, page)."""
    conditions = like_all(Employer.search_name, found.get("q"))
    if "enterprise_number" in found:
        conditions.append(Employer.enterprise_number == _digits(found["enterprise_number"]).zfill(10))
    if "nace" in found:
        # A whole code, or a division/group/class: 43 finds 43.221 and 43.2 finds 43.21 and 43.221.
        conditions.append(Employer.nace.startswith(found["nace"], autoescape=True))
    for name in ("municipality", "account_manager"):
        if name in found:
            conditions.append(getattr(Employer, name) == found[name])
    where = and_(True, *conditions)
    total = session.scalars(select(func.count()).select_from(Employer).where(where)).one()
    rows = session.execute(
        select(*LISTED_COLUMNS).where(where).order_by(Employer.name, Employer.id).offset(offset).limit(limit)
    ).all()
    return total, [dict(zip(LISTED, row, strict=True)) for row in rows]


def _pending(until: date | None, agent: str | None) -> Select[*tuple[Any, ...]]:
    later = aliased(Prospection)
    stmt = (
        select(
            Prospection.next_action_due,
            Prospection.id,
            Prospection.next_action,
            Prospection.by,
            Employer.id,
            Employer.name,
        )
        .join(Employer, Employer.id == Prospection.employer_id)
        .where(
            Prospection.next_action_due.is_not(None),
            ~exists().where(later.employer_id == Prospection.employer_id, later.on > Prospection.on),
        )
    )
    if until is not None:
        stmt = stmt.where(Prospection.next_action_due <= until)
    if agent is not None:
        stmt = stmt.where(Prospection.by == agent)
    return stmt


def _counts(session: Session, stmt: Select[*tuple[Any, ...]], today: date) -> dict[str, int]:
    overdue = session.scalars(
        select(func.count()).select_from(stmt.where(Prospection.next_action_due < today).subquery())
    ).one()
    total = session.scalars(select(func.count()).select_from(stmt.subquery())).one()
    return {"overdue": overdue, "due": total - overdue}


def due(session: Session, today: date, horizon_days: int, agent: str | None = None) -> dict[str, Any]:
    """Prospection next actions falling due by ``today + horizon_days``, overdue first, and their counts."""
    until = today + timedelta(days=horizon_days)
    stmt = _pending(until, agent)
    rows = session.execute(stmt.order_by(Prospection.next_action_due, Employer.name).limit(MAX_DUE_ITEMS + 1)).all()
    items = [
        {
            "kind": "prospection_next_action",
            "due_on": row[0].isoformat(),
            "overdue": row[0] < today,
            "prospection_id": row[1],
            "next_action": row[2],
            "by": row[3],
            "employer": {"id": row[4], "name": row[5]},
        }
        for row in rows
    ]
    return {
        "today": today.isoformat(),
        "until": until.isoformat(),
        "agent": agent,
        "counts": {"prospection_next_action": _counts(session, stmt, today)},
        "items": items[:MAX_DUE_ITEMS],
        "truncated": len(items) > MAX_DUE_ITEMS,
    }


def due_counts(session: Session, today: date, horizon_days: int = DEFAULT_HORIZON_DAYS) -> dict[tuple[str, str], int]:
    """The Mission's ``(kind, "due"|"overdue") → count``, for the metrics."""
    counts = _counts(session, _pending(today + timedelta(days=horizon_days), None), today)
    return {("prospection_next_action", state): n for state, n in counts.items()}
