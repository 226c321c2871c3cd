"""Generated import files for the ``import-files`` tests: realistic rows, and one planted error of each kind.

``people_file`` writes a people table of ``n`` rows as Excel saves it in a Belgian locale (UTF-8 with a
byte-order mark, ``;`` separators, dates as 07/12/2026 or 7.12.2026) and returns the planted errors, each
as (row, column name, part of the reason), so a test can compare the report with them exactly.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from runtime.demo import national_number
from runtime.importing.layout import EMPLOYER_COLUMNS, PEOPLE_COLUMNS

PEOPLE_HEADER = [c.name for c in PEOPLE_COLUMNS]
EMPLOYER_HEADER = [c.name for c in EMPLOYER_COLUMNS]
TOWNS = ("52011", "52012", "52074", "52075", "53053")
GOOD_BCE = ("0403145163", "0212345668")
UNKNOWN_BCE = "0876543270"  # a valid number the Mission does not have


def bce(seven: int) -> str:
    base = int(f"0{seven:07d}")
    return f"0{seven:07d}{97 - base % 97:02d}"


def employers_file(path: Path, extra: int = 0) -> list[tuple[int, str, str]]:
    """Two good employers (one with two contacts), ``extra`` more, and two planted errors."""
    rows = [
        ["0403.145.163", "Bâtiments Sambre SRL", "43.221", "52011", "6000", "610", "124", "10-19", "", "eric.agent"],
        ["0403.145.163", "Bâtiments Sambre SRL", "43.221", "52011", "6000", "610", "124", "10-19", "", "eric.agent"],
        ["BE0212345668", "Brasserie du Pays Noir", "56.101", "", "6200", "", "302", "5-9", "", "eric.agent"],
        [bce(1111111), "Nace Inconnue SA", "99.999", "52011", "", "", "", "", "", ""],
        ["0123.456.789", "Numéro Faux SA", "43.221", "52011", "", "", "", "", "", ""],
    ]
    rows = [r + ["01/03/2022", f"Contact {i}", "RH", "071 23 45 67", ""] for i, r in enumerate(rows)]
    rows += [[bce(2000000 + i), f"Entreprise {i}", "47.111", "52011"] + [""] * 11 for i in range(extra)]
    planted = [(5, "nace", "NACE-BEL"), (6, "bce", "enterprise number")]
    _write(path, EMPLOYER_HEADER, rows)
    return planted


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _day(d: date, rng: random.Random) -> str:
    return d.strftime("%d/%m/%Y") if rng.random() < 0.7 else f"{d.day}.{d.month}.{d.year}"


def person_row(i: int, rng: random.Random, today: date) -> dict[str, str]:
    gender = rng.choice("FM")
    born = date(1960, 1, 1) + timedelta(days=i % 14600)  # a different (birth date, serial) for every i
    niss = national_number(born, 2 * (i // 14600) + (1 if gender == "M" else 2))
    registered = today - timedelta(days=rng.randint(400, 1500))
    row = {
        "niss": niss,
        "prenom": rng.choice(("Amina", "Kevin", "Léa", "Noé", "Éloïse", "François", "Zoé")),
        "nom": f"Personne{i:05d}",
        "date_naissance": _day(born, rng),
        "genre": gender,
        "commune": rng.choice(TOWNS),
        "publics_cibles": rng.choice(("faible_qualification", "neet | chomage_longue_duree", "")),
        "orienteur": rng.choice(("forem", "cpas", "ale", "")),
        "conseiller": f"counsellor{i % 7}@mirec",
        "date_accueil": _day(registered, rng),
    }
    moves = sorted(rng.sample(range(7, 120), rng.randint(0, 3)))
    stages = rng.sample(("orientation", "remise_a_niveau", "preformation", "formation", "outillage"), len(moves))
    row["etapes"] = " | ".join(
        f"{s} {_day(registered + timedelta(days=m), rng)}" for s, m in zip(stages, moves, strict=True)
    )
    if rng.random() < 0.6:
        row["date_evaluation"] = _day(registered + timedelta(days=5), rng)
        row["competences"] = "900001:2 | 900003:1"
        row.update(
            plan_date=_day(registered + timedelta(days=6), rng),
            plan_metiers="F1703",
            plan_actions="formation_alternee | recherche_emploi",
            plan_contrats="cdi",
            plan_mobilite_km="25",
        )
    if rng.random() < 0.3:
        signed = registered + timedelta(days=150)
        row.update(
            contrat_date=_day(signed, rng),
            contrat_bce=rng.choice(GOOD_BCE),
            contrat_type=rng.choice(("cdi", "cdd", "article_60")),
            contrat_heures="38",
        )
        if rng.random() < 0.5:
            row.update(suivi_date=_day(signed + timedelta(days=200), rng), suivi_en_emploi="oui", suivi_source="")
    elif rng.random() < 0.15:
        row.update(sortie_date=_day(registered + timedelta(days=130), rng), sortie_motif="fin_accompagnement")
    return row


def people_file(path: Path, n: int, seed: int = 23, first: int = 0) -> list[tuple[int, str, str]]:
    """``n`` people rows (header not counted) with planted errors; returns them as (row, column, reason).

    People are numbered from ``first``: files with numbers that do not overlap hold different people, so two
    imports into one Mission do not find each other's people already on file."""
    rng, today = random.Random(seed), date.today()
    people = [person_row(first + i, rng, today) for i in range(n)]
    planted: list[tuple[int, str, str]] = []

    def plant(index: int, column: str, reason: str, **cells: str) -> None:
        people[index].update(cells)
        planted.append((index + 2, column, reason))  # row 1 is the header

    step = max(n // 24, 3)
    at = iter(range(step, n, step))
    plant(next(at), "niss", "national register number", niss="85073003329")
    plant(next(at), "date_naissance", "not a date", date_naissance="1990/13/45")
    plant(next(at), "date_accueil", "four digits", date_accueil="03/02/25")
    plant(next(at), "date_naissance", "no such day", date_naissance="30/02/1990")
    plant(next(at), "commune", "unknown municipality", commune="99999")
    plant(next(at), "plan_metiers", "unknown occupation", plan_metiers="Z9999", plan_date="01/01/2024",
          plan_actions="recherche_emploi", plan_contrats="cdi", plan_mobilite_km="10",
          date_accueil="01/12/2023")  # fmt: skip
    k = next(at)
    plant(k, "contrat_bce", "no employer", contrat_bce=UNKNOWN_BCE, contrat_date=_after(people[k]),
          contrat_type="cdi", contrat_heures="38")  # fmt: skip
    k = next(at)
    plant(k, "contrat_bce", "not a valid Belgian enterprise number", contrat_bce="0123456789",
          contrat_date=_after(people[k]), contrat_type="cdi", contrat_heures="38")  # fmt: skip
    plant(next(at), "etapes", "before the intake", etapes="orientation 01/01/2000")
    plant(next(at), "etapes", "unknown stage", etapes="formationn 01/01/2025")
    k = next(at)
    signed = dict(contrat_date=_after(people[k]), contrat_bce=GOOD_BCE[0], contrat_type="cdi", contrat_heures="38")
    plant(k, "suivi_date", "the check is due from", **signed, suivi_date=_after(people[k], 230), suivi_en_emploi="oui")
    k = next(at)
    plant(k, "sortie_motif", "unknown exit reason", sortie_date=_after(people[k], 300), sortie_motif="x")
    plant(next(at), "email", "email", email="pas-une-adresse")
    plant(next(at), "genre", "unknown gender", genre="Q")
    plant(next(at), "publics_cibles", "unknown target group", publics_cibles="riche")
    plant(
        next(at), "date_naissance", "in the future", date_naissance=(today + timedelta(days=400)).strftime("%d/%m/%Y")
    )
    k = next(at)
    plant(k, "competences", "code:level expected", competences="900001", date_evaluation=_after(people[k], 1))
    plant(next(at), "prenom", "Missing data for required field", prenom="")
    k = next(at)
    signed = dict(contrat_date=_after(people[k]), contrat_bce=GOOD_BCE[0], contrat_type="cdi", contrat_heures="38")
    plant(k, "suivi_en_emploi", "oui or non", **signed, suivi_date=_after(people[k], 400), suivi_en_emploi="peut-être")
    # A duplicate row (the same cells as an earlier one) and a second row for an earlier national number.
    k = next(at)
    people[k] = dict(people[1])
    planted.append((k + 2, "", "duplicate of row 3"))
    k = next(at)
    people[k]["niss"] = people[2]["niss"]
    planted.append((k + 2, "niss", "same national number as row 4"))
    rows = [[p.get(column, "") for column in PEOPLE_HEADER] for p in people]
    _write(path, PEOPLE_HEADER, rows)
    return planted


def _after(person: dict[str, str], days: int = 200) -> str:
    """A date ``days`` after the person's intake, as 07/12/2026."""
    text = person["date_accueil"].replace(".", "/")
    d, m, y = (int(x) for x in text.split("/"))
    return (date(y, m, d) + timedelta(days=days)).strftime("%d/%m/%Y")
