"""The occupational taxonomy: occupations, their competences and job titles.

Matching speaks ROME (France Travail's Répertoire Opérationnel des Métiers et
des Emplois): occupations by ROME code (``F1703``), competences and job titles
("appellations") by OGR code. ``load_rome(folder)`` reads the official
"unix" CSV export of a ROME version, the one its operator points to with
``PASSERELLE_ROME_DIR``; without it, ``default()`` loads the small demo
taxonomy in ``kit/data/demo_taxonomy``, written in the same format by the
project's authors (own labels), so the embedded default needs no outside file.

The ROME files themselves are not shipped: they are Licence Ouverte data and
the copies we know sit in copyleft repositories.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ENV_VAR = "PASSERELLE_ROME_DIR"
DEMO_DIR = Path(__file__).parent / "data" / "demo_taxonomy"
# code_type_referentiel in unix_liens_rome_referentiels: what a ROME links to.
LINK_COMPETENCE, LINK_TITLE = "1", "4"


class TaxonomyError(ValueError):
    """The folder is not a readable ROME export (missing file, missing column)."""


@dataclass(frozen=True)
class Occupation:
    code: str
    label: str
    competences: tuple[str, ...] = ()
    definition: str = ""

    @property
    def family(self) -> str:
        """The ROME sub-domain (``F17`` for ``F1703``): occupations that share a trade."""
        return self.code[:3]


@dataclass(frozen=True)
class Title:
    code: str
    label: str
    occupation: str
    short: str = ""


@dataclass
class Taxonomy:
    source: str
    occupations: dict[str, Occupation] = field(default_factory=dict)
    competences: dict[str, str] = field(default_factory=dict)
    titles: list[Title] = field(default_factory=list)

    def occupation(self, code: str) -> Occupation | None:
        return self.occupations.get(code)

    def competence_label(self, code: str) -> str | None:
        return self.competences.get(code)

    def unknown_competences(self, codes: Iterable[str]) -> list[str]:
        return sorted({c for c in codes if c not in self.competences})


def _unquote(text: str) -> str:
    # The export escapes an apostrophe SQL-style (d''engins) inside CSV quoting.
    return text.replace("''", "'").strip()


def _rows(folder: Path, stem: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    matches = sorted(folder.glob(f"unix_{stem}_v*_utf8.csv"))
    if not matches:
        raise TaxonomyError(f"no unix_{stem}_v*_utf8.csv in {folder}")
    with matches[-1].open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise TaxonomyError(f"{matches[-1].name} lacks column(s) {', '.join(missing)}")
        return [{k: _unquote(v or "") for k, v in row.items() if k} for row in reader]


def _active(row: dict[str, str]) -> bool:
    # statut 1 = in force; an absent column means every row is.
    return row.get("statut", "1") in ("1", "")


def _definitions(folder: Path) -> dict[str, str]:
    """Each occupation's definition text (optional file: an export without it loads all the same)."""
    try:
        rows = _rows(folder, "texte", ("code_rome", "libelle_texte", "libelle_type_texte"))
    except TaxonomyError:
        return {}
    parts: dict[str, list[tuple[int, str]]] = {}
    for r in rows:
        if r["libelle_type_texte"] == "definition":
            position = int(r.get("position_libelle_txt") or 0)
            parts.setdefault(r["code_rome"], []).append((position, r["libelle_texte"]))
    return {code: " ".join(text for _, text in sorted(blocks)) for code, blocks in parts.items()}


def load_rome(folder: str | os.PathLike[str]) -> Taxonomy:
    """Read a ROME "unix" CSV export (v3 format, e.g. v347) from ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TaxonomyError(f"ROME folder {folder} does not exist")
    tax = Taxonomy(source=str(folder))
    labels = {
        r["code_rome"]: r["libelle_rome"]
        for r in _rows(folder, "referentiel_code_rome", ("code_rome", "libelle_rome"))
        if _active(r)
    }
    tax.competences = {
        r["code_ogr"]: r["libelle_competence"]
        for r in _rows(folder, "referentiel_competence", ("code_ogr", "libelle_competence"))
        if _active(r)
    }
    links: dict[str, list[str]] = {code: [] for code in labels}
    try:
        for r in _rows(folder, "liens_rome_referentiels", ("code_rome", "code_ogr", "code_type_referentiel")):
            if r["code_type_referentiel"] == LINK_COMPETENCE and r["code_rome"] in links:
                links[r["code_rome"]].append(r["code_ogr"])
    except TaxonomyError:
        # Older exports only have the coherence table: every item, competences among them.
        for r in _rows(folder, "coherence_item", ("code_rome", "code_ogr")):
            if r["code_rome"] in links and r["code_ogr"] in tax.competences:
                links[r["code_rome"]].append(r["code_ogr"])
    definitions = _definitions(folder)
    for code, label in labels.items():
        seen = dict.fromkeys(c for c in links[code] if c in tax.competences)
        tax.occupations[code] = Occupation(code, label, tuple(seen), definitions.get(code, ""))
    for r in _rows(folder, "referentiel_appellation", ("code_ogr", "libelle_appellation_long", "code_rome")):
        if _active(r) and r["code_rome"] in tax.occupations:
            tax.titles.append(
                Title(
                    r["code_ogr"], r["libelle_appellation_long"], r["code_rome"], r.get("libelle_appellation_court", "")
                )
            )
    if not tax.occupations:
        raise TaxonomyError(f"no occupation in {folder}")
    return tax


@lru_cache(maxsize=4)
def load(folder: str | None = None) -> Taxonomy:
    """The taxonomy at ``folder``, else at ``$PASSERELLE_ROME_DIR``, else the demo one (cached)."""
    chosen = folder or os.environ.get(ENV_VAR) or str(DEMO_DIR)
    return load_rome(chosen)


def default() -> Taxonomy:
    return load(None)
