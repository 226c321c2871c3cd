"""``passerelle import-files SITE FILE…``: a Mission's existing files brought in, row by row.

Where it writes: straight into the site's own beneficiary and employer databases, like ``migrate``, beside
the running site (ARCHITECTURE.md, "Importing existing files", says why and what it measured). It writes
only through the services' use cases (``beneficiary.imports``, ``employer.imports``) and adds their events to
the outbox in the same transaction (``kit.application.to_outbox``); the services' relays, which look for rows
written by another process every half second, publish them as if the facts had been recorded live.

The rules it keeps:

* employers first (a contract names its employer by BCE number), then people, whatever the order of the
  files or sheets;
* one transaction per person with their whole history, per employer with its contacts: a row is written
  whole or not at all, and a refused row leaves nothing behind;
* idempotent by natural keys: a national number or a BCE number the Mission already has is not written
  again (contacts already on file, by name, neither), and the summary says how many rows were already there;
  a known number with different details is refused, since corrections belong to the person's file;
* duplicate rows inside the file: the first is imported, the others refused naming it;
* ``--dry-run`` runs every row's transaction to its end and rolls it back: the same rules, nothing written;
* every refusal is a row of the report (``--report``, CSV): file, row, column number and name, reason.
"""

from __future__ import annotations

import csv
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from beneficiary import imports as people
from employer import imports as employers
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from stdnum.be import vat

from kit.application import to_outbox
from kit.config import ConfigError
from kit.db import make_engine
from kit.errors import Conflict, ValidationFailed
from kit.pseudonym import sector_key
from runtime.importing import layout, rows
from runtime.importing.layout import EMPLOYERS, PEOPLE
from runtime.importing.reading import FileRefused, Table, read

WRITE = "passerelle_write"  # kit.db: a SQLite write transaction takes the write lock at BEGIN (IMMEDIATE)
# A step of a person's history refused by a live rule → the column the Mission should look at.
STEP_COLUMNS = {
    "assessment": "date_evaluation",
    "plan": "plan_date",
    "contract": "contrat_date",
    "follow_up": "suivi_date",
    "exit": "sortie_date",
}
FIELD_COLUMNS = rows.INTAKE_COLUMNS | {"municipality": "commune", "to": "etapes", "status": "etapes"}


@dataclass(frozen=True)
class Rejected:
    where: str
    row: int
    column: int  # 1-based; 0 when the problem is the row (or the header) as a whole
    name: str
    reason: str

    def line(self) -> str:
        at = f"row {self.row}" + (f", column {self.column} ({self.name})" if self.column else "")
        return f"{self.where}: {at}: {self.reason}"


@dataclass
class Totals:
    read: int = 0
    written: int = 0
    on_file: int = 0
    rejected: int = 0
    contacts: int = 0


@dataclass
class Outcome:
    totals: dict[str, Totals] = field(default_factory=lambda: {EMPLOYERS: Totals(), PEOPLE: Totals()})
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def rejected_rows(self) -> int:
        return sum(t.rejected for t in self.totals.values())


class Progress:
    """Rows read, written, already on file and rejected, and the rate, on the terminal (stderr).

    On a terminal one line is rewritten in place; into a file or a pipe, a line every ``every`` seconds.
    """

    def __init__(self, out: TextIO | None, every: float = 1.0):
        self.out, self.every = out, every
        self.started = self.last = time.monotonic()
        self.live = bool(out and out.isatty())
        self.verb = "written"

    def show(self, kind: str, totals: Totals, of: int, final: bool = False) -> None:
        now = time.monotonic()
        if self.out is None or (not final and now - self.last < self.every):
            return
        self.last = now
        rate = totals.read / max(now - self.started, 1e-6)
        line = (
            f"{kind}: {totals.read:,}/{of:,} rows read · {totals.written:,} {self.verb} · "
            f"{totals.on_file:,} already on file · {totals.rejected:,} rejected · {rate:,.0f} rows/s"
        ).replace(",", " ")
        if self.live:
            print(f"\r{line}\x1b[K", end="\n" if final else "", file=self.out, flush=True)
        else:
            print(line, file=self.out, flush=True)
        if final:
            self.started = now  # the next table's rate counts from here


class Importer:
    def __init__(self, site, run_by: str, dry_run: bool = False, progress: Progress | None = None):
        if not site.is_mission:
            raise ConfigError(f"{site.code} is not a Mission: files are imported into a Mission's site")
        sector_key()  # people get their pseudonym at intake: refuse before reading anything, as a site would
        self.site, self.run_by, self.dry_run = site, run_by, dry_run
        self.progress = progress or Progress(None)
        self.progress.verb = "would be written" if dry_run else "written"
        self.engines = {name: _engine(site, name) for name in ("beneficiary", "employer")}
        self.sessions = {name: sessionmaker(engine, expire_on_commit=False) for name, engine in self.engines.items()}
        self.people_actor = people.import_actor(site.code)
        self.employer_actor = employers.import_actor(site.code)
        self.source = {name: f"/missions/{site.code}/{name}" for name in ("beneficiary", "employer")}
        self.employer_ids: dict[str, str] = {}  # BCE number → id, for this run's contracts
        self.outcome = Outcome(dry_run=dry_run)
        self.today = date.today()

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()

    # -- the whole run ----------------------------------------------------
    def run(self, paths: list[Path]) -> Outcome:
        started = time.monotonic()
        tables: list[Table] = []
        for path in paths:
            if not path.is_file():
                raise ConfigError(f"{path}: no such file")
            try:
                tables.extend(read(path))
            except FileRefused as refused:
                for row, column, reason in refused.problems:
                    self.outcome.rejected.append(Rejected(refused.where, row, column, "", reason))
        if self.outcome.rejected:
            return self.outcome  # a table with wrong columns: nothing of any file is imported
        for table in tables:
            self.outcome.notices.extend(f"{table.where}: {n}" for n in table.notices)
        for table in [t for t in tables if t.kind == EMPLOYERS] + [t for t in tables if t.kind == PEOPLE]:
            (self._employers if table.kind == EMPLOYERS else self._people)(table)
        self.outcome.seconds = time.monotonic() - started
        return self.outcome

    def _reject(self, table: Table, number: int, problems: rows.Problems) -> None:
        for name, reason in problems:
            position = table.columns.get(name)
            column = position + 1 if position is not None else 0
            self.outcome.rejected.append(Rejected(table.where, number, column, name if column else "", reason))

    @contextmanager
    def _transaction(self, service: str) -> Iterator[Session]:
        """One transaction on ``service``'s database, rolled back instead of committed in a dry run."""
        with self.sessions[service]() as session:
            transaction = session.begin()
            try:
                if self.engines[service].dialect.name == "sqlite":
                    session.connection(execution_options={WRITE: True})
                yield session
                if self.dry_run:
                    transaction.rollback()
                else:
                    transaction.commit()
            except BaseException:
                transaction.rollback()
                raise

    # -- employers --------------------------------------------------------
    def _employers(self, table: Table) -> None:
        totals = self.outcome.totals[EMPLOYERS]
        groups: dict[str, list[tuple[int, rows.Record]]] = {}
        first_cells: dict[str, tuple[int, tuple]] = {}
        seen_rows: dict[tuple, int] = {}
        for number, cells in table.rows:
            if _blank(cells):
                continue
            totals.read += 1
            whole = tuple(str(c if c is not None else "").strip() for c in cells)
            if whole in seen_rows:
                totals.rejected += 1
                self._reject(table, number, [("", f"duplicate of row {seen_rows[whole]}")])
                continue
            seen_rows[whole] = number
            try:
                record = rows.employer(table, cells, self.today)
            except rows.RowRefused as refused:
                totals.rejected += 1
                self._reject(table, number, refused.problems)
                continue
            key = employers.number(record.intake["enterprise_number"])
            own = rows.own_cells(table, cells)
            if key in first_cells and first_cells[key][1] != own:
                totals.rejected += 1
                self._reject(
                    table,
                    number,
                    [("bce", f"same BCE number as row {first_cells[key][0]} with other details of the employer")],
                )
                continue
            first_cells.setdefault(key, (number, own))
            groups.setdefault(key, []).append((number, record))
        for key, group in groups.items():
            self._employer(table, key, group, totals)
            self.progress.show(EMPLOYERS, totals, len(table.rows))
        self.progress.show(EMPLOYERS, totals, len(table.rows), final=True)

    def _employer(self, table: Table, key: str, group: list[tuple[int, rows.Record]], totals: Totals) -> None:
        """One employer (its first row) with the contacts of all its rows, in one transaction."""
        first_row, record = group[0]
        contacts = [c for _, r in group for c in r.contacts]
        try:
            with self._transaction("employer") as session:
                known = employers.on_file(session, key)
                if known is not None:
                    if _employer_details(known.name, known.nace, known.municipality) != _employer_details(
                        record.intake["name"], record.intake["nace"], record.intake["municipality"]
                    ):
                        raise Conflict(
                            "the Mission already has this enterprise with other details: correct it in its file"
                        )
                    self.employer_ids[key] = known.id
                    added = employers.add_contacts(session, known, contacts)
                    totals.contacts += added
                    totals.on_file += len(group) if not added else 0
                    totals.written += len(group) if added else 0
                    return
                record.contacts = contacts
                new = to_outbox(
                    session, employers.bring_in(session, self.employer_actor, self.source["employer"], record)
                )
                # A dry run's employer is rolled back: its contracts name a stand-in that passes the same checks.
                self.employer_ids[key] = new.id if not self.dry_run else str(uuid.uuid4())
                totals.written += len(group)
                totals.contacts += len(contacts)
        except (ValidationFailed, Conflict) as exc:
            totals.rejected += len(group)
            problems = (
                [(rows.EMPLOYER_COLUMNS.get(f, "bce"), m) for f, e in exc.errors.items() for m in rows.messages(e)]
                if isinstance(exc, ValidationFailed)
                else [("bce", exc.message)]
            )
            for number, _ in group:
                self._reject(table, number, problems)

    def employer_id(self, bce: str) -> str | None:
        """The employer a contract names: one of this import's, or one the Mission already has."""
        try:
            key = employers.number(bce)
            vat.validate(key)
        except Exception:
            raise ValueError("not a valid Belgian enterprise number (BCE/KBO)") from None
        if key in self.employer_ids:
            return self.employer_ids[key]
        with self.sessions["employer"]() as session:
            found = employers.on_file(session, key)
        if found is not None:
            self.employer_ids[key] = found.id
            return found.id
        return None

    # -- people -----------------------------------------------------------
    def _people(self, table: Table) -> None:
        totals = self.outcome.totals[PEOPLE]
        seen: dict[str, tuple[int, tuple]] = {}
        niss_at = table.columns["niss"]
        for number, cells in table.rows:
            if _blank(cells):
                continue
            totals.read += 1
            self._person(table, number, cells, niss_at, seen, totals)
            self.progress.show(PEOPLE, totals, len(table.rows))
        self.progress.show(PEOPLE, totals, len(table.rows), final=True)

    def _person(self, table: Table, number: int, cells: list, niss_at: int, seen: dict, totals: Totals) -> None:
        niss = "".join(
            ch for ch in str(layout.number(cells[niss_at] if niss_at < len(cells) else "", 11)) if ch.isdigit()
        )
        whole = tuple(str(c if c is not None else "").strip() for c in cells)
        if niss and niss in seen:
            first, first_cells = seen[niss]
            reason = f"duplicate of row {first}" if first_cells == whole else f"same national number as row {first}"
            totals.rejected += 1
            self._reject(table, number, [("niss" if first_cells != whole else "", reason)])
            return
        if niss:
            seen[niss] = (number, whole)
        try:
            history = rows.person(table, cells, self.employer_id)
        except rows.RowRefused as refused:
            totals.rejected += 1
            self._reject(table, number, refused.problems)
            return
        origin = f"{table.where} row {number}"
        try:
            with self._transaction("beneficiary") as session:
                known = people.on_file(session, niss)
                if known is not None:
                    different = _differences(known, history.intake)
                    if different:
                        raise people.StepRefused("intake", {different: [_ALREADY]})
                    totals.on_file += 1
                    return
                outcome = people.bring_in(
                    session, self.people_actor, self.source["beneficiary"], history, self.run_by, origin
                )
                to_outbox(session, outcome)
            totals.written += 1
        except people.StepRefused as refused:
            totals.rejected += 1
            column = STEP_COLUMNS.get(refused.step) or ("etapes" if refused.step.startswith("move") else None)
            self._reject(
                table,
                number,
                [
                    (column or FIELD_COLUMNS.get(f, "niss"), m)
                    for f, e in refused.errors.items()
                    for m in rows.messages(e)
                ],
            )
        except Conflict as exc:
            totals.rejected += 1
            self._reject(table, number, [("niss", exc.message)])


_ALREADY = "the Mission already has a file with this national number and other details: correct it in the file"


def _differences(known, intake: dict) -> str | None:
    """The first identity field in which the file on record differs from the row, or None."""
    for name in ("last_name", "first_name", "birth_date", "registered_on"):
        if getattr(known, name) != intake.get(name):
            return name
    return None


def _employer_details(name: str, nace: str, municipality: str) -> tuple[str, str, str]:
    return name.strip().casefold(), nace.replace(".", "").strip(), municipality


def _blank(cells: list) -> bool:
    return all(c is None or str(c).strip() == "" for c in cells)


def _engine(site, service: str) -> Engine:
    url = site.database_url(service)
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("outbox"):
            raise ConfigError(f"the {service} database of {site.code} is not migrated: run 'passerelle migrate'")
    except ConfigError:
        engine.dispose()
        raise
    except Exception as exc:
        engine.dispose()
        raise ConfigError(f"the {service} database of {site.code} cannot be opened: {exc}") from None
    return engine


# -- the report -----------------------------------------------------------
def write_report(outcome: Outcome, path: Path) -> None:
    """Every refusal, one line each (rows with several problems have several lines)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["fichier", "ligne", "colonne", "nom_colonne", "motif"])
        for r in sorted(outcome.rejected, key=lambda r: (r.where, r.row, r.column)):
            writer.writerow([r.where, r.row, r.column or "", r.name, r.reason])


def summary(outcome: Outcome, report: Path | None, out: TextIO = sys.stdout, shown: int = 30) -> None:
    for notice in outcome.notices:
        print(f"note: {notice}", file=out)
    head = "dry run: nothing was written; " if outcome.dry_run else ""
    verb = "would be written" if outcome.dry_run else "written"
    for kind, t in outcome.totals.items():
        if t.read or kind == PEOPLE:
            extra = f" ({t.contacts} contacts)" if kind == EMPLOYERS else ""
            print(
                f"{head}{kind}: {t.read} rows read, {t.written} {verb}{extra}, {t.on_file} already on file "
                f"(nothing new), {t.rejected} rejected",
                file=out,
            )
    written = sum(t.written for t in outcome.totals.values())
    if not written and not outcome.rejected and any(t.on_file for t in outcome.totals.values()):
        print("every row was already imported: nothing new was written", file=out)
    if outcome.rejected:
        print(f"{len(outcome.rejected)} problems in {outcome.rejected_rows or 'the header of'} rows:", file=out)
        for r in sorted(outcome.rejected, key=lambda r: (r.where, r.row, r.column))[:shown]:
            print(f"  {r.line()}", file=out)
        if len(outcome.rejected) > shown:
            print(f"  … and {len(outcome.rejected) - shown} more", file=out)
        if report:
            print(f"full report of rejected rows: {report}", file=out)
    rate = sum(t.read for t in outcome.totals.values()) / max(outcome.seconds, 1e-6)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{outcome.seconds:.1f} s, {rate:.0f} rows/s (load average {load:.1f})", file=out)
