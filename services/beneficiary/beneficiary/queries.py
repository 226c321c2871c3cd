"""Finding the Mission's people: search, a counsellor's caseload and what falls due. Read side, free of nameko.

Each function takes an open SQLAlchemy session and answers plain dicts; the service authorises, audits and
bounds the page. Names are searched through ``Beneficiary.search_name`` (``kit.search``), kept on every write,
so accents, case and punctuation never matter and SQLite and PostgreSQL answer the same.

What falls due for a person:

- ``six_month_check``: a first contract whose six-month check is not recorded, due on ``check_due``;
- ``plan_review``: the current plan (its latest version) of an active path, due on the earliest due date of
  its actions (``PlanVersion.review_due``, copied to ``Beneficiary.plan_review_due`` when the version is
  written); agreeing a new version renews the plan and replaces it.

An item is ``overdue`` once its date has passed, ``due`` from today to ``horizon_days`` ahead.
"""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import and_, exists, func, select

from beneficiary.enums import ACTIVE, DROPPED_OUT, EXITED, STAGES, TARGET_GROUPS
from beneficiary.models import Assessment, Beneficiary, Contract, TargetGroup
from kit.search import like_all, terms

DUE_KINDS = ("six_month_check", "plan_review")
DEFAULT_HORIZON_DAYS = 30
MAX_HORIZON_DAYS = 366
MAX_DUE_ITEMS = 500
# What a list shows of a person: never the national number, which only ever narrows a search.
LISTED = ("id", "first_name", "last_name", "birth_date", "municipality", "registered_on", "stage", "status")
LISTED_COLUMNS = [getattr(Beneficiary, name) for name in LISTED] + [Beneficiary.counsellor]


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def search_fields() -> dict[str, fields.Field]:
    """The search criteria, fresh field objects each time (the gateway's query and the service's schema)."""
    return {
        "q": fields.String(validate=validate.Length(1, 100), metadata={"description": "part of a name"}),
        "niss": fields.String(
            validate=validate.Length(1, 20),
            metadata={"description": "national or BIS number, with or without separators"},
        ),
        "counsellor": fields.String(validate=validate.Length(1, 100)),
        "stage": fields.String(validate=validate.OneOf(STAGES)),
        "status": fields.String(validate=validate.OneOf((ACTIVE, DROPPED_OUT, EXITED))),
        "target_group": fields.String(validate=validate.OneOf(list(TARGET_GROUPS))),
        "municipality": fields.String(validate=validate.Regexp(r"^\d{5}$", error="REFNIS code expected")),
        "registered_from": fields.Date(),
        "registered_to": fields.Date(),
    }


class SearchSchema(Schema.from_dict(search_fields())):  # type: ignore[misc]
    """Search criteria sent to ``BeneficiaryService.search``; every one optional, all of them combined."""

    class Meta:
        unknown = RAISE

    @validates("q")
    def _q(self, value, **_):
        if not terms(value):
            raise ValidationError("give at least one letter or digit of the name")

    @validates("niss")
    def _niss(self, value, **_):
        if len(_digits(value)) != 11:
            raise ValidationError("a national or BIS number has 11 digits")

    @validates_schema(skip_on_field_errors=False)
    def _dates(self, data, **_):
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            raise ValidationError("is before registered_from", "registered_to")


class CaseloadSchema(Schema):
    """Whose caseload (None: the caller's) and which stage to list (None: every stage)."""

    class Meta:
        unknown = EXCLUDE

    counsellor = fields.String(load_default=None, validate=validate.Length(1, 100))
    stage = fields.String(load_default=None, validate=validate.OneOf(STAGES))


class DueSchema(Schema):
    """Whose items and how far ahead: ``counsellor`` (None: the whole Mission) and ``horizon_days``."""

    class Meta:
        unknown = EXCLUDE

    counsellor = fields.String(load_default=None, validate=validate.Length(1, 100))
    horizon_days = fields.Integer(
        load_default=DEFAULT_HORIZON_DAYS, strict=True, validate=validate.Range(0, MAX_HORIZON_DAYS)
    )


def _row(row) -> dict:
    item = dict(zip(LISTED, row[: len(LISTED)], strict=True))
    for name in ("birth_date", "registered_on"):
        item[name] = item[name].isoformat()
    item["counsellor"] = row[len(LISTED)]
    return item


def search(session, found: dict, offset: int, limit: int) -> tuple[int, list[dict]]:
    """People matching every criterion of ``found`` (loaded by ``SearchSchema``), by name; (total, page)."""
    conditions = like_all(Beneficiary.search_name, found.get("q"))
    if "niss" in found:
        conditions.append(Beneficiary.niss == _digits(found["niss"]))
    for name in ("counsellor", "stage", "status", "municipality"):
        if name in found:
            conditions.append(getattr(Beneficiary, name) == found[name])
    if "registered_from" in found:
        conditions.append(Beneficiary.registered_on >= found["registered_from"])
    if "registered_to" in found:
        conditions.append(Beneficiary.registered_on <= found["registered_to"])
    if "target_group" in found:
        conditions.append(
            exists().where(TargetGroup.beneficiary_id == Beneficiary.id, TargetGroup.group == found["target_group"])
        )
    where = and_(True, *conditions)
    total = session.scalar(select(func.count()).select_from(Beneficiary).where(where))
    rows = session.execute(
        select(*LISTED_COLUMNS)
        .where(where)
        .order_by(Beneficiary.last_name, Beneficiary.first_name, Beneficiary.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return total, [_row(r) for r in rows]


def caseload(session, counsellor: str, today: date, offset: int, limit: int, stage: str | None = None) -> dict:
    """A counsellor's active people by name (at ``stage`` if given), each with its next due item, and their
    counts by stage (always all of them)."""
    mine = and_(Beneficiary.counsellor == counsellor, Beneficiary.status == ACTIVE)
    by_stage = dict.fromkeys(STAGES, 0)
    by_stage.update(
        session.execute(select(Beneficiary.stage, func.count()).where(mine).group_by(Beneficiary.stage)).all()
    )
    dropped_out = session.scalar(
        select(func.count())
        .select_from(Beneficiary)
        .where(Beneficiary.counsellor == counsellor, Beneficiary.status == DROPPED_OUT)
    )
    listed = and_(mine, Beneficiary.stage == stage) if stage else mine
    rows = session.execute(
        select(*LISTED_COLUMNS)
        .where(listed)
        .order_by(Beneficiary.last_name, Beneficiary.first_name, Beneficiary.id)
        .offset(offset)
        .limit(limit)
    ).all()
    items = [_row(r) for r in rows]
    following = next_due(session, [i["id"] for i in items], today)
    for item in items:
        item["next_due"] = following.get(item["id"])
    return {
        "counsellor": counsellor,
        "stage": stage,
        "listed": by_stage[stage] if stage else sum(by_stage.values()),
        "by_stage": by_stage,
        "active": sum(by_stage.values()),
        "dropped_out": dropped_out,
        "items": items,
    }


def assessments(session, beneficiary_id: str) -> list[dict]:
    """A person's assessments, the latest first: who, when and the competences in the taxonomy's codes."""
    rows = session.scalars(
        select(Assessment)
        .where(Assessment.beneficiary_id == beneficiary_id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id)
    ).all()
    return [
        {
            "id": a.id,
            "assessed_on": a.assessed_on.isoformat(),
            "assessed_by": a.assessed_by,
            "competences": a.competences,
        }
        for a in rows
    ]


# -- what falls due ----------------------------------------------------------
def _due_selects(until: date | None, counsellor: str | None, ids: list[str] | None = None):
    """One select per kind: (due_on, person columns), limited to ``until``, a counsellor or people."""
    checks = (
        select(Contract.check_due.label("due_on"), *LISTED_COLUMNS)
        .join(Beneficiary, Beneficiary.id == Contract.beneficiary_id)
        .where(Contract.checked_on.is_(None))
    )
    # The current plan's review date is kept on the person (Beneficiary.plan_review_due).
    plans = select(Beneficiary.plan_review_due.label("due_on"), *LISTED_COLUMNS).where(
        Beneficiary.plan_review_due.is_not(None), Beneficiary.status == ACTIVE
    )
    selects = {"six_month_check": (checks, Contract.check_due), "plan_review": (plans, Beneficiary.plan_review_due)}
    out = {}
    for kind, (stmt, due_on) in selects.items():
        if until is not None:
            stmt = stmt.where(due_on <= until)
        if counsellor is not None:
            stmt = stmt.where(Beneficiary.counsellor == counsellor)
        if ids is not None:
            stmt = stmt.where(Beneficiary.id.in_(ids))
        out[kind] = (stmt, due_on)
    return out


def _item(kind: str, row, today: date) -> dict:
    due_on = row[0]
    return {"kind": kind, "due_on": due_on.isoformat(), "overdue": due_on < today, "person": _row(row[1:])}


def due(session, today: date, horizon_days: int, counsellor: str | None = None) -> dict:
    """What falls due by ``today + horizon_days`` (overdue first, then by date) and the counts per kind."""
    until = today + timedelta(days=horizon_days)
    items, counts = [], {}
    for kind, (stmt, due_on) in _due_selects(until, counsellor).items():
        counts[kind] = _counts(session, stmt, due_on, today)
        rows = session.execute(stmt.order_by(due_on, Beneficiary.last_name).limit(MAX_DUE_ITEMS)).all()
        items.extend(_item(kind, row, today) for row in rows)
    items.sort(key=lambda i: (not i["overdue"], i["due_on"], i["person"]["last_name"]))
    return {
        "today": today.isoformat(),
        "until": until.isoformat(),
        "counsellor": counsellor,
        "counts": counts,
        "items": items[:MAX_DUE_ITEMS],
        "truncated": len(items) > MAX_DUE_ITEMS,
    }


def due_counts(session, today: date, horizon_days: int = DEFAULT_HORIZON_DAYS) -> dict[tuple[str, str], int]:
    """The Mission's ``(kind, "due"|"overdue") → count``, for the metrics."""
    until = today + timedelta(days=horizon_days)
    out = {}
    for kind, (stmt, due_on) in _due_selects(until, None).items():
        for state, n in _counts(session, stmt, due_on, today).items():
            out[(kind, state)] = n
    return out


def _counts(session, stmt, due_on, today: date) -> dict[str, int]:
    overdue = session.scalar(select(func.count()).select_from(stmt.where(due_on < today).subquery()))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    return {"overdue": overdue, "due": total - overdue}


def next_due(session, ids: list[str], today: date) -> dict[str, dict]:
    """Each of these people's next due item, whatever its date (overdue ones first)."""
    if not ids:
        return {}
    found: dict[str, dict] = {}
    for kind, (stmt, _) in _due_selects(None, None, ids).items():
        for row in session.execute(stmt).all():
            item = _item(kind, row, today)
            pid = item.pop("person")["id"]
            if pid not in found or item["due_on"] < found[pid]["due_on"]:
                found[pid] = item
    return found
