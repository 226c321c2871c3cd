"""The documented layout of an import file (docs/import-files.md): its kinds, columns and cell formats.

One table per kind (a CSV file, or a sheet of an XLSX workbook), its kind told by its header: a people table
has a ``niss`` column, an employers table a ``bce`` column. Headers are the French names below, or their
English aliases; case, accents, spaces and hyphens do not matter (``Date d'accueil`` is ``date_accueil``).

Cells are read here into plain values (dates, lists, codes), each refusal a plain reason for its column; the
rules about the values themselves (national numbers, REFNIS, ROME and NACE-BEL codes, dates in the future…)
are the services' own schemas, applied by ``runtime.importing.rows``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

PEOPLE, EMPLOYERS = "people", "employers"


@dataclass(frozen=True)
class Column:
    name: str  # the French header
    alias: str  # the English header
    required: bool = False


PEOPLE_COLUMNS = (
    Column("niss", "national_number", True),
    Column("prenom", "first_name", True),
    Column("nom", "last_name", True),
    Column("date_naissance", "birth_date", True),
    Column("genre", "gender", True),
    Column("telephone", "phone"),
    Column("email", "e_mail"),
    Column("commune", "municipality"),
    Column("code_postal", "postcode"),
    Column("publics_cibles", "target_groups"),
    Column("justificatif_publics", "target_group_evidence"),
    Column("orienteur", "referrer"),
    Column("organisation_orienteur", "referrer_organisation"),
    Column("conseiller", "counsellor"),
    Column("date_accueil", "intake_date", True),
    Column("date_evaluation", "assessment_date"),
    Column("competences", "competences_assessed"),
    Column("etapes", "stages"),
    Column("plan_date", "plan_agreed_on"),
    Column("plan_metiers", "plan_occupations"),
    Column("plan_actions", "plan_action_kinds"),
    Column("plan_contrats", "plan_contract_types"),
    Column("plan_mobilite_km", "plan_mobility_km"),
    Column("contrat_date", "contract_signed_on"),
    Column("contrat_bce", "contract_employer_bce"),
    Column("contrat_type", "contract_type"),
    Column("contrat_heures", "contract_hours"),
    Column("contrat_commune", "contract_municipality"),
    Column("suivi_date", "check_date"),
    Column("suivi_en_emploi", "check_still_employed"),
    Column("suivi_source", "check_source"),
    Column("sortie_date", "exit_date"),
    Column("sortie_motif", "exit_reason"),
)

EMPLOYER_COLUMNS = (
    Column("bce", "enterprise_number", True),
    Column("nom", "name", True),
    Column("nace", "nace_bel", True),
    Column("commune", "municipality"),
    Column("code_postal", "postcode"),
    Column("forme_juridique", "legal_form"),
    Column("commission_paritaire", "joint_committee"),
    Column("taille", "size_band"),
    Column("rue", "street"),
    Column("charge_relations", "account_manager"),
    Column("date_debut", "since"),
    Column("contact_nom", "contact_name"),
    Column("contact_fonction", "contact_function"),
    Column("contact_telephone", "contact_phone"),
    Column("contact_email", "contact_e_mail"),
)

COLUMNS = {PEOPLE: PEOPLE_COLUMNS, EMPLOYERS: EMPLOYER_COLUMNS}
# A table's kind, told by the one column only that kind has.
KIND_MARKERS = {"niss": PEOPLE, "national_number": PEOPLE, "bce": EMPLOYERS, "enterprise_number": EMPLOYERS}


def header_key(text: object) -> str:
    """``Date d'accueil`` → ``date_accueil``: lower case, no accents, words joined by ``_``."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\b[dl]'", "", plain)  # d'accueil, l'employeur
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def canonical(kind: str) -> dict[str, str]:
    """Every accepted header key of ``kind`` → its French column name."""
    names: dict[str, str] = {}
    for column in COLUMNS[kind]:
        names[column.name] = column.name
        names[column.alias] = column.name
    return names


# -- cells ----------------------------------------------------------------
class CellError(ValueError):
    """A cell that cannot be read as its column's kind of value; the message is the plain reason."""


_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(cell: object) -> date | None:
    """A Belgian date (07/12/2026, 7.12.2026, 07-12-2026), an ISO date (2026-12-07) or a spreadsheet date."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = str(cell).strip()
    iso = _ISO.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        found = _DATE.match(text)
        if not found:
            raise CellError("not a date: day/month/year expected, e.g. 07/12/2026")
        day, month, year = (int(g) for g in found.groups())
        if year < 100:
            raise CellError("the year needs four digits, e.g. 07/12/2026")
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError("no such day in the calendar") from None


def text(cell: object) -> str | None:
    """A cell as stripped text, None when empty (a spreadsheet's numbers without their ``.0``)."""
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = str(cell).strip()
    return value or None


def number(cell: object, digits: int) -> str | None:
    """A national or enterprise number; a spreadsheet that stored it as a number lost its leading zeros."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return str(int(cell)).zfill(digits)
    return text(cell)


def items(cell: object) -> list[str]:
    """A list in one cell: items separated by ``|``, ``,`` or ``;``."""
    value = text(cell)
    return [part.strip() for part in re.split(r"[|,;]", value) if part.strip()] if value else []


def code(cell: object, vocabulary: dict[str, str], what: str) -> str | None:
    """A code of ``vocabulary`` (French or English word → the platform's code), None when empty."""
    value = text(cell)
    if value is None:
        return None
    found = vocabulary.get(header_key(value))
    if found is None:
        raise CellError(f"unknown {what} '{value[:40]}' (one of: {', '.join(sorted(set(vocabulary.values())))})")
    return found


def integer(cell: object) -> int | None:
    value = text(cell)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise CellError("not a whole number") from None


def yes_no(cell: object) -> bool | None:
    value = text(cell)
    if value is None:
        return None
    found = {"oui": True, "yes": True, "1": True, "vrai": True, "true": True, "non": False, "no": False}.get(
        header_key(value), {"0": False, "faux": False, "false": False}.get(header_key(value))
    )
    if found is None:
        raise CellError("oui or non expected")
    return found


def _words(*pairs: tuple[str, tuple[str, ...]]) -> dict[str, str]:
    """Each code with the words (French, English) that name it."""
    vocabulary = {}
    for target, words in pairs:
        vocabulary[header_key(target)] = target
        for word in words:
            vocabulary[header_key(word)] = target
    return vocabulary


GENDERS = _words(("F", ("femme", "female", "V")), ("M", ("homme", "male", "H")), ("X", ("autre_genre",)))
STAGES = _words(
    ("accueil", ("intake",)),
    ("orientation", ("projet_professionnel",)),
    ("remise_a_niveau", ("remise à niveau", "upgrading")),
    ("preformation", ("pré-formation", "pre_training")),
    ("formation", ("training",)),
    ("outillage", ("outillage recherche d'emploi", "job_search_tools")),
    ("placement", ()),
    ("suivi", ("follow_up",)),
)
TARGET_GROUPS = _words(
    ("low_qualification", ("faible_qualification", "peu_qualifie")),
    ("long_term_unemployed", ("chomage_longue_duree", "chomeur_longue_duree")),
    ("disability", ("handicap",)),
    ("social_aid", ("aide_sociale", "ris", "revenu_integration")),
    ("neet_youth", ("neet", "garantie_jeunesse")),
    ("refugee_newcomer", ("primo_arrivant", "refugie")),
    ("justice_measure", ("justiciable",)),
    ("single_parent", ("famille_monoparentale", "parent_seul")),
    ("priority_neighbourhood", ("quartier_prioritaire",)),
)
REFERRERS = _words(
    ("forem", ()),
    ("actiris", ()),
    ("cpas", ()),
    ("ale", ()),
    ("adl", ()),
    ("insertion_operator", ("operateur_insertion", "oisp", "clais")),
    ("training_operator", ("operateur_formation", "cisp")),
    ("justice_service", ("service_justice", "maison_de_justice")),
    ("aviq", ("awiph",)),
    ("neighbourhood_board", ("regie_de_quartier",)),
    ("self", ("spontane", "soi_meme", "lui_meme", "elle_meme")),
    ("other", ("autre",)),
)
CONTRACT_TYPES = _words(
    ("permanent", ("cdi",)),
    ("fixed_term", ("cdd",)),
    ("temp", ("interim",)),
    ("article_60", ("art_60",)),
    ("apprenticeship", ("apprentissage",)),
    ("other", ("autre",)),
)
PLAN_ACTIONS = _words(
    ("remise_a_niveau", ("remise à niveau",)),
    ("confirmation_internship", ("stage_de_confirmation", "stage_confirmation")),
    ("alternating_training", ("formation_alternee",)),
    ("job_search", ("recherche_emploi", "recherche_d_emploi")),
    ("other", ("autre",)),
)
PLAN_ACTION_LABELS = {
    "remise_a_niveau": "Remise à niveau",
    "confirmation_internship": "Stage de confirmation de projet professionnel",
    "alternating_training": "Formation alternée",
    "job_search": "Recherche d'emploi accompagnée",
    "other": "Autre action",
}
FOLLOWUP_SOURCES = _words(
    ("phone", ("telephone",)),
    ("employer", ("employeur",)),
    ("person", ("personne",)),
    ("dimona", ()),
    ("other", ("autre",)),
)
EXIT_REASONS = _words(
    ("durable_employment", ("emploi_durable",)),
    ("training_elsewhere", ("formation_ailleurs",)),
    ("moved", ("demenagement",)),
    ("end_of_accompaniment", ("fin_accompagnement", "fin_d_accompagnement")),
    ("other", ("autre",)),
)
COMPETENCE_KINDS = _words(("technical", ("technique",)), ("behavioural", ("comportementale",)))
