"""Period submissions: the figures a Mission submits, frozen once approved, corrected by new versions.

Pure functions: what a submission holds, and how one version differs from another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from reporting import catalogue as cat
from reporting.engine import Facts, breakdown
from reporting.models import SectorSubmission, Submission
from reporting.periods import Period

SUBMITTED, APPROVED, SUPERSEDED = "submitted", "approved", "superseded"
# Figures: {indicator: {"total": n, "by": {dimension: {label: n}}}}; a change: {"figure", "before", "after"}.
Figures = dict[str, Any]
Change = dict[str, Any]


def figures(facts: Facts, period: Period) -> Figures:
    """Every Mission indicator for ``period``: its total and each person dimension's breakdown."""
    out: Figures = {}
    for ind in cat.CATALOGUE.for_mode("mission"):
        entry: dict[str, Any] = {"total": breakdown(facts, ind, period, None)["total"], "by": {}}
        for dimension in ind.dimensions:
            if dimension in cat.PERSON_DIMENSIONS or dimension == "municipality":
                entry["by"][dimension] = breakdown(facts, ind, period, dimension)["cells"]
        out[ind.name] = entry
    return out


def _flat(figures_: Figures) -> dict[str, int]:
    flat: dict[str, int] = {}
    for name, entry in figures_.items():
        flat[f"{name}/total"] = entry["total"]
        for dimension, cells in entry["by"].items():
            for label, value in cells.items():
                flat[f"{name}/{dimension}/{label}"] = value
    return flat


def diff(before: Figures, after: Figures) -> list[Change]:
    """Each figure that changed: ``{"figure": "first_contracts/gender/F", "before": 3, "after": 4}``."""
    a, b = _flat(before), _flat(after)
    return [
        {"figure": key, "before": a.get(key, 0), "after": b.get(key, 0)}
        for key in sorted(set(a) | set(b))
        if a.get(key, 0) != b.get(key, 0)
    ]


def view(row: Submission) -> dict[str, Any]:
    return {
        "id": row.id,
        "period": row.period,
        "version": row.version,
        "status": row.status,
        "catalogue_version": row.catalogue_version,
        "figures": row.figures,
        "diff": row.diff,
        "reason": row.reason,
        "submitted_by": row.submitted_by,
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "approved_by": row.approved_by,
        "approved_at": row.approved_at.isoformat() if row.approved_at else None,
    }


MISSING = "missing"
CHANGED_NAMES = 2000  # the most figure names one event carries (contracts.sector.PeriodSubmittedV1)


def changed(diff: Sequence[Change] | None) -> list[str]:
    """The names of the figures a version changed (``diff``'s), never their values: what InterMire is told."""
    return [d["figure"] for d in diff or []][:CHANGED_NAMES]


def sector_view(period: str, missions: list[str], rows: Iterable[SectorSubmission]) -> dict[str, Any]:
    """``{"period", "missions": [{"mission", "status", "approved_version", "versions": [...]}]}``: every Mission
    of the registry (``missing`` when it has not submitted), and any other that has."""
    by_mission: dict[str, list[SectorSubmission]] = {}
    for r in rows:
        by_mission.setdefault(r.mission, []).append(r)
    out = []
    for mission in [*missions, *sorted(set(by_mission) - set(missions))]:
        versions = sorted(by_mission.get(mission, []), key=lambda r: r.version)
        approved = [r.version for r in versions if r.status == APPROVED]
        out.append(
            {
                "mission": mission,
                "status": versions[-1].status if versions else MISSING,
                "approved_version": approved[-1] if approved else None,
                "versions": [
                    {
                        "version": r.version,
                        "status": r.status,
                        "submitted_on": r.submitted_on,
                        "approved_on": r.approved_on,
                        "correction": r.correction,
                        "changed": list(r.changed or []),
                    }
                    for r in versions
                ],
            }
        )
    return {"period": period, "missions": out}
