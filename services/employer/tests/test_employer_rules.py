"""Vacancy lifecycle rules and the Forem feed reader, without broker or database."""

import json

import pytest
from employer import domain
from employer.forem import parse


def test_vacancy_lifecycle():
    assert domain.move("draft", "open") == "open"
    assert domain.fill("open", posts=2, filled=0) == "partially_filled"
    assert domain.fill("partially_filled", posts=2, filled=1) == "filled"
    assert domain.move("filled", "close") == "closed"
    with pytest.raises(domain.TransitionRefused):
        domain.fill("filled", posts=2, filled=2)
    with pytest.raises(domain.TransitionRefused):
        domain.move("closed", "open")
    with pytest.raises(domain.TransitionRefused):
        domain.fill("draft", posts=1, filled=0)
    assert domain.move("draft", "cancel") == "cancelled"


GOOD = {
    "numero_offre": "F-1",
    "intitule": "Maçon (h/f)",
    "code_rome": "F1703",
    "type_contrat": "CDI",
    "regime_heures": "38",
    "code_postal": "6000",
    "nombre_postes": "2",
    "date_debut": "01/12/2026",
    "statut": "active",
}


def test_feed_rows_become_offers_and_bad_rows_say_where_and_why():
    lines = [
        json.dumps(GOOD),
        "{broken",
        json.dumps(dict(GOOD, numero_offre="F-2", code_rome="Z9999")),
        json.dumps(dict(GOOD, numero_offre="F-3", regime_heures="90")),
        json.dumps(dict(GOOD, numero_offre="F-4", code_postal="0000")),
        json.dumps(dict(GOOD, numero_offre="", intitule="x")),
    ]
    results = list(parse(lines))
    good = [(line, row) for line, row in results if isinstance(row, dict)]
    bad = {line: row for line, row in results if isinstance(row, str)}
    assert good == [
        (
            1,
            {
                "source_ref": "F-1",
                "title": "Maçon (h/f)",
                "occupation": "F1703",
                "description": "Maçon (h/f)",
                "contract_type": "permanent",
                "hours_per_week": 38,
                "municipality": "52011",
                "posts": 2,
                "start_date": "2026-12-01",
                "open": True,
            },
        )
    ]
    assert bad[2].startswith("not valid JSON")
    assert bad[3].startswith("code_rome")
    assert bad[4].startswith("regime_heures")
    assert bad[5].startswith("code_postal")
    assert bad[6].startswith("numero_offre")


def test_csv_feed_with_semicolons():
    header = ";".join(GOOD)
    rows = [header, ";".join(GOOD.values()), ";".join(dict(GOOD, numero_offre="F-9", statut="archivee").values())]
    results = list(parse(line + "\n" for line in rows))
    assert [(line, row["source_ref"], row["open"]) for line, row in results] == [(2, "F-1", True), (3, "F-9", False)]
