"""The consumer's own SQLite file: the events it took in, and the ids it has seen.

Recording an event id and applying the event commit together, so a
redelivered or replayed event (same CloudEvents ``id``) is recognised and
acknowledged without being applied twice.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

FORGET = "be.mire.beneficiary.forget_requested.v1"


class EventStore:
    def __init__(self, path: str | Path):
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, received_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS event (
                event_id TEXT PRIMARY KEY, source TEXT NOT NULL, type TEXT NOT NULL, subject TEXT,
                time TEXT NOT NULL, data TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS event_subject ON event (source, subject);
        """)

    def apply_once(self, event: dict[str, Any]) -> bool:
        """Apply ``event`` unless its id was seen; True when applied, False for a duplicate."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self.db.execute("SELECT 1 FROM seen WHERE event_id = ?", (event["id"],)).fetchone():
                self.db.execute("ROLLBACK")
                return False
            self.db.execute("INSERT INTO seen VALUES (?, datetime('now'))", (event["id"],))
            if event["type"] == FORGET:
                # The Mission withdrew the disclosure: delete everything it sent about this person.
                self.db.execute(
                    "DELETE FROM event WHERE source = ? AND subject = ?",
                    (event["source"], event["data"]["agency_reference"]),
                )
            else:
                self.db.execute(
                    "INSERT INTO event VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        event["id"],
                        event["source"],
                        event["type"],
                        event.get("subject"),
                        event["time"],
                        json.dumps(event["data"], ensure_ascii=False),
                    ),
                )
            self.db.execute("COMMIT")
            return True
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def events(self, subject: str | None = None) -> list[dict[str, Any]]:
        query, args = "SELECT event_id, source, type, subject, time, data FROM event", tuple[str, ...]()
        if subject is not None:
            query, args = query + " WHERE subject = ?", (subject,)
        return [
            {"id": r[0], "source": r[1], "type": r[2], "subject": r[3], "time": r[4], "data": json.loads(r[5])}
            for r in self.db.execute(query + " ORDER BY time, event_id", args)
        ]

    def close(self) -> None:
        self.db.close()
