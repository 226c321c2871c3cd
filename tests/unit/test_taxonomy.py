"""The ROME loader, on the authored demo taxonomy and on the official v347 export when it is at hand."""

from pathlib import Path

import pytest

from kit.taxonomy import DEMO_DIR, TaxonomyError, default, load_rome

ROME = Path(__file__).resolve().parents[3] / "shared" / "data" / "rome_fr" / "rome_v347"
needs_rome = pytest.mark.skipif(
    not ROME.is_dir(),
    reason=f"ROME v347 reference export not found at {ROME} (the project's shared/data folder beside the repository)",
)


def test_the_demo_taxonomy_is_the_default_and_is_complete(monkeypatch):
    monkeypatch.delenv("PASSERELLE_ROME_DIR", raising=False)
    tax = default()
    assert tax.source == str(DEMO_DIR)
    assert len(tax.occupations) == 12 and "F1703" in tax.occupations
    mason = tax.occupation("F1703")
    assert mason.family == "F17" and len(mason.competences) >= 5
    assert all(c in tax.competences for o in tax.occupations.values() for c in o.competences)
    assert {t.occupation for t in tax.titles} == set(tax.occupations)
    # Doubled apostrophes of the export format are read back as one.
    assert "Agent / Agente d'entretien" in {t.label for t in tax.titles}


def test_a_folder_that_is_not_a_rome_export_is_refused_clearly(tmp_path):
    with pytest.raises(TaxonomyError, match="does not exist"):
        load_rome(tmp_path / "missing")
    with pytest.raises(TaxonomyError, match="unix_referentiel_code_rome"):
        load_rome(tmp_path)
    (tmp_path / "unix_referentiel_code_rome_v1_utf8.csv").write_text('"code_rome","statut"\n"A1101","1"\n')
    with pytest.raises(TaxonomyError, match="lacks column"):
        load_rome(tmp_path)


@needs_rome
def test_the_official_v347_export_loads_with_its_links():
    tax = load_rome(ROME)
    assert len(tax.occupations) == 531
    assert len(tax.competences) > 4_900
    assert len(tax.titles) > 10_900
    assert sum(len(o.competences) for o in tax.occupations.values()) > 12_000
    masonry = tax.occupation("F1703")
    assert masonry.label == "Maçonnerie" and masonry.competences and masonry.definition
    assert tax.competence_label("100010") == "Utilisation d'engins forestiers"  # was d''engins in the file
    titles = {t.label: t.occupation for t in tax.titles}
    assert titles["Accompagnateur / Accompagnatrice d'excursions"] == "G1201"
    assert not any("''" in t.label for t in tax.titles)


@needs_rome
def test_an_export_without_the_link_table_falls_back_to_coherence_items(tmp_path):
    for f in ROME.glob("unix_*.csv"):
        if "liens_rome" not in f.name:
            (tmp_path / f.name).symlink_to(f)
    tax = load_rome(tmp_path)
    assert tax.occupation("F1703").competences
