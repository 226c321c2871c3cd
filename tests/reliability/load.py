"""Load for the fault suite: events committed to a producer's outbox, and registrations through the gateway.

``python -m tests.reliability.load --registry R --site mirec --events N`` is
a producer of its own process: it commits internal events of a ``Stream``
(assessments for matching, the default, or stage changes for reporting's
fact log) to the beneficiary service's outbox with ``kit.outbox.add``, in transactions
of ``--batch`` events — the very code a service's write runs, without the RPC
in front — so that the suite can push tens of thousands of events (a million
in the long run) through the real relay, broker and consumer. It prints one
line per second (``committed <n>``); the outbox table, not this output, is the
ledger's record of what was committed.

``GatewayWriter`` registers people over HTTP through ``passerelle
run-gateway``, as a counsellor would, and keeps asking again with the same
national number until the gateway answers 201 or 409 (the first attempt had
committed): a client's retry is safe, and every write the client saw
acknowledged must be in the beneficiary database.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import requests

STAGES = ("accueil", "orientation", "remise_a_niveau", "preformation", "formation", "outillage", "placement")


@dataclass(frozen=True)
class Stream:
    """An event stream of the load: what the producer commits and which consumer handler must apply it."""

    name: str
    event_type: str
    consumer: str  # the consuming service
    handler: str  # its queue (and inbox handler name)
    poison_type: str  # a valid envelope of this type with ``{"unexpected": true}`` data fails ``poison_handler``
    poison_handler: str

    def event(self, site: str, i: int):
        """The ``i``-th event of the stream, built through its payload class as a producer builds it."""
        from contracts import internal
        from contracts.payloads import build

        subject = str(uuid.uuid4())
        on = date(2026, 1, 1) + timedelta(days=i % 300)
        if self.name == "assessments":
            payload: internal.Beneficiary = internal.BeneficiaryAssessedV1(
                beneficiary_id=subject,
                municipality="57081",
                assessed_on=on,
                competences=[internal.Competence(code=f"C{i % 97:04d}", level=1 + i % 3, kind="technical")],
            )
        else:
            k = i % (len(STAGES) - 1)
            payload = internal.BeneficiaryStageChangedV1(
                beneficiary_id=subject, from_stage=STAGES[k], to_stage=STAGES[k + 1], kind="advanced", on=on
            )
        return build(payload, source=f"/missions/{site}/beneficiary", subject=subject)


STREAMS = {
    # Every stage change is logged by reporting's fact log (one fact row per event id).
    "facts": Stream(
        "facts",
        "be.mire.beneficiary.stage_changed.v1",
        "reporting",
        "reporting.on_beneficiary_fact",
        "be.mire.beneficiary.registered.v1",
        "reporting.on_beneficiary_registered",
    ),
    # Every assessment updates matching's view of the person (and is logged by reporting's fact log).
    "assessments": Stream(
        "assessments",
        "be.mire.beneficiary.assessed.v1",
        "matching",
        "matching.on_assessed",
        "be.mire.beneficiary.assessed.v1",
        "matching.on_assessed",
    ),
}
DEFAULT_STREAM = os.environ.get("PASSERELLE_RELIABILITY_STREAM", "assessments")


def produce(url: str, site: str, events: int, batch: int, rate: float, stream: Stream) -> int:
    """Commit ``events`` events in transactions of ``batch``, at most ``rate`` per second (0: as fast as it can)."""
    from kit import outbox
    from kit.db import _Store

    store = _Store(url)
    committed, started, last_line, cpu = 0, time.monotonic(), 0.0, time.process_time()
    while committed < events:
        n = min(batch, events - committed)
        with store.transaction() as session:
            for k in range(n):
                outbox.add(session, stream.event(site, committed + k))
        committed += n
        now = time.monotonic()
        if rate:
            ahead = committed / rate - (now - started)
            if ahead > 0:
                time.sleep(ahead)
        if now - last_line >= 1.0:
            print(f"committed {committed}", flush=True)
            last_line = now
    # The CPU the commits cost, without the interpreter's start and imports (benchmarks read it).
    print(f"committed {committed} done, cpu {time.process_time() - cpu:.3f} s", flush=True)
    store.engine.dispose()
    return committed


def main(argv=None) -> int:
    from kit import registry as registry_module

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registry", required=True)
    parser.add_argument("--site", default="mirec")
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.0, help="events per second (default: unlimited)")
    parser.add_argument("--stream", choices=sorted(STREAMS), default=DEFAULT_STREAM)
    args = parser.parse_args(argv)
    reg = registry_module.load(args.registry)
    produce(
        reg.site(args.site).database_url("beneficiary"),
        args.site,
        args.events,
        args.batch,
        args.rate,
        STREAMS[args.stream],
    )
    return 0


class GatewayWriter:
    """Registers ``count`` people through the gateway, retrying each until it is acknowledged."""

    def __init__(self, base_url: str, token: str, mission: str, people: list[dict], pause: float = 0.05):
        self.url = f"{base_url}/missions/{mission}/beneficiaries"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.pending = list(people)
        self.acknowledged: dict[str, str] = {}  # niss -> beneficiary id the gateway returned
        self.answers: dict[int, int] = {}  # HTTP status -> how many times
        self.errors = 0
        self.pause = pause
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> GatewayWriter:
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(30)

    @property
    def done(self) -> bool:
        return not self.pending

    def _run(self):
        while self.pending and not self._stop.is_set():
            person = self.pending[0]
            try:
                resp = requests.post(self.url, json=person, headers=self.headers, timeout=15)
                status = resp.status_code
            except requests.RequestException:
                status = 0
                self.errors += 1
            self.answers[status] = self.answers.get(status, 0) + 1
            if status in (200, 201):
                self.acknowledged[person["niss"]] = resp.json()["id"]
                self.pending.pop(0)
            elif status == 409:
                # The first attempt committed but its answer was lost: the retry found it.
                self.acknowledged[person["niss"]] = resp.json().get("existing") or "existing"
                self.pending.pop(0)
            else:
                time.sleep(0.5)  # 5xx while the broker is away: the same write again, later
                continue
            time.sleep(self.pause)


if __name__ == "__main__":
    sys.exit(main())
