"""End-to-end events benchmark: outbox → relay → broker → consumer, beside two publishing baselines.

    python -m bench.events.run [--events 60000] [--baseline-events 20000] [--consumers 2] [--producers 1]
        [--database postgresql] [--stream assessments] [--no-write]

Everything runs on a private RabbitMQ node started for the run (never the
machine's shared broker), with the real services as site processes, warm
(a phase freezes a process rather than restarting it, see ``Phases``):

* **end-to-end, streaming** — a producer process commits events to the
  beneficiary service's outbox as fast as it can (``tests.reliability.load``,
  the code a service's write runs), the service's relay publishes them with
  confirms, the consumer (matching's ``on_assessed``, or reporting's fact log
  with ``--stream facts``) applies each once through its inbox, in
  ``--consumers`` processes competing on its queue as replicas would, then
  again in one; the rate is events / (last application − first commit),
  and the loss ledger (``tests.reliability.checker``) must read 0 lost / 0
  duplicated;
* **relay alone** — the events committed while the relay was frozen:
  outbox → broker, confirmed and marked sent;
* **consumer alone** — those events waiting in the queue while the
  consumer was frozen: broker → inbox and effect;
* **CPU per event by process** in each phase (``bench.cpu``): where the
  two cores go;
* **baselines, same broker, same run, child processes of this one**
  (``bench.events.baselines``) — stock nameko: a plain nameko service
  dispatching one event per call with ``EventDispatcher`` and another
  handling them with ``@event_handler``, as nameko's documentation shows
  (its defaults: a confirm awaited per event, persistent messages, its own
  queue); raw: pika pipelined publishing (persistent, confirms with up to
  1,000 in flight) into a quorum queue — the platform's queue type — and
  into a classic queue. The end-to-end rate is compared with stock nameko's
  first dispatch to last handled, the relay with its dispatch rate, both
  with pika into a quorum queue.

Prints the figures and writes ``bench/results/events.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.cpu import CpuMeter
from bench.events.baselines import nameko_stock, pika_pipelined
from bench.report import Section, load_note

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "bench" / "results" / "events.md"


# The reasoning behind the figures (the figures themselves are measured above, in the CPU rows above all).
WHERE_THE_TIME_GOES = """**Where the time goes.** The CPU rows are read from /proc around each phase (user + system
time of each process tree; PostgreSQL is every server process alive at the end of the phase, so the load process's
own backend, which ends with it, is not counted; the producer is the CPU its commits took, as it reports it). Two
cores give 2,000,000 µs of CPU a second: a pipeline that spends *T* µs per event cannot pass 2,000,000 / *T* events a
second, and no process can use more than one core. What each process does per event:
the producer (`kit.outbox.add`) holds the transaction's rows and writes them with one multi-row INSERT at commit;
the relay reads a batch of 500 pending rows, packs runs of same-type events 50 to a message (`kit.relay.packs`, the
CloudEvents JSON batch format), publishes them in one socket write with every confirm in flight and marks them sent
with one UPDATE; RabbitMQ writes each message to a quorum queue's log and confirms it — per message, which is why
packing took its share from about 100 µs to about 10 µs an event; the consumer (`@event_handler(..., batch=500)`)
reads its deliveries through a buffered socket, parses and gathers them in its consumer thread, applies a batch in
one transaction (`Database.once_each`: one inbox lookup, one multi-row insert) and acknowledges it with one
`multiple` ack (`kit.consumer.AckWatermark`). The consumer is now the largest share, and one Python process uses one
core: its time per event is mostly the envelope's marshmallow validation and the SQL of its batch (psycopg2
building and sending a 500-row INSERT), then JSON and AMQP framing; loading the data into its payload class
(`contracts.payloads`, msgspec) is a few µs. Two consumer processes, as two
replicas would, use both cores."""


def _wait(progress, done, timeout: float, poll: float = 1.0) -> None:
    """Poll ``progress()`` until ``done(value)``; seldom, since the figures come from the rows' own stamps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = progress()
        if done(value):
            return
        time.sleep(poll)
    raise RuntimeError(f"the benchmark stalled at {value}")


class Phases:
    """The three end-to-end phases on warm processes, timed by the rows' own timestamps.

    The producer and the consumer run from the start of the benchmark; a phase
    that needs one of them idle freezes it (SIGSTOP) rather than stopping it, so
    that no phase pays a process's start-up (the matching consumer builds its
    title classifier in its first seconds). The rig's heartbeat is longer than
    any freeze, so a frozen process keeps its broker connection.

    Times come from the databases, not from polling: a phase runs from its
    first outbox row's ``created_at`` to its last outbox row's ``sent_at``
    (relay) or its last inbox row's ``processed_at`` (consumer), so polling
    can be slow (every second; counting a growing table costs PostgreSQL CPU the figures would include).
    """

    def __init__(self, rig, producers: int = 1):
        self.rig, self.producers = rig, producers
        site = rig.stream.consumer
        self.consumer_db = ("mirec", site)
        self.consumers = [role for role in rig.roles if role.startswith("consumer")]
        self.cpu = CpuMeter(
            {
                "relay": lambda: [rig.processes["producer"].proc.pid],
                "consumer": lambda: [rig.processes[role].proc.pid for role in self.consumers],
                "RabbitMQ": lambda: [pid for pid in (rig.broker.pid,) if pid],
            },
            commands={"PostgreSQL": "postgres"},
        )

    def _signal(self, role: str, sig: int) -> None:
        for name in self.consumers if role == "consumer" else [role]:
            os.kill(self.rig.processes[name].proc.pid, sig)

    def _last_seq(self) -> int:
        return self.rig.query("mirec", "beneficiary", "SELECT coalesce(max(seq), 0) FROM outbox")

    def _rate(self, site: str, service: str, table: str, stamp: str, where: str, **params) -> float:
        """Rows per second between the phase's first and last batch, by the batches' own time stamps.

        A batch stamps all its rows alike (the relay when it marks them sent, the consumer when it writes their
        inbox rows), so the rows after the first batch over the time from the first stamp to the last is the rate.
        """
        q = self.rig.query
        first = q(site, service, f"SELECT min({stamp}) FROM {table} WHERE {where}", **params)
        last = q(site, service, f"SELECT max({stamp}) FROM {table} WHERE {where}", **params)
        after = q(
            site, service, f"SELECT count(*) FROM {table} WHERE {where} AND {stamp} > :first", first=first, **params
        )
        return after / (_seconds(last) - _seconds(first))

    def _span(self, after_seq: int, until: str) -> tuple[float, float]:
        """(seconds from the phase's first commit to its end, seconds to its last commit)."""
        q = self.rig.query
        first = q("mirec", "beneficiary", "SELECT min(created_at) FROM outbox WHERE seq > :s", s=after_seq)
        committed = q("mirec", "beneficiary", "SELECT max(created_at) FROM outbox WHERE seq > :s", s=after_seq)
        if until == "sent":
            end = q("mirec", "beneficiary", "SELECT max(sent_at) FROM outbox WHERE seq > :s", s=after_seq)
        else:
            end = q(*self.consumer_db, "SELECT max(processed_at) FROM inbox")
        return _seconds(end) - _seconds(first), _seconds(committed) - _seconds(first)

    def run(self, n: int) -> dict:
        rig, out = self.rig, {}
        base = rig.applied()
        # Relay alone: the relay frozen while the events are committed, the consumer frozen while they are relayed.
        self._signal("consumer", signal.SIGSTOP)
        self._signal("producer", signal.SIGSTOP)
        seq0 = self._last_seq()
        self.cpu.start()
        loader = rig.start_load(n, batch=500)
        loader.wait()
        out["load_cpu"] = {"producer": _producing_cpu(loader), **self.cpu.stop()}
        self.cpu.start()
        self._signal("producer", signal.SIGCONT)
        _wait(rig.pending, lambda pending: pending == 0, 600)
        out["relay_cpu"] = {"producer": 0.0, **self.cpu.stop()}
        out["relay"] = self._rate("mirec", "beneficiary", "outbox", "sent_at", "seq > :s", s=seq0)
        # Consumer alone: everything waits in the queue.
        self.cpu.start()
        thawed = datetime.now(UTC)
        self._signal("consumer", signal.SIGCONT)
        _wait(rig.applied, lambda applied: applied >= base + n, 900)
        out["consumer_cpu"] = {"producer": 0.0, **self.cpu.stop()}
        out["consumer"] = self._rate(*self.consumer_db, "inbox", "processed_at", "processed_at >= :t", t=thawed)
        # Streaming, everything running: first commit to last application.
        out["e2e"], out["commit"], out["stream_cpu"] = self._stream(n, base + 2 * n)
        if len(self.consumers) > 1:
            # The same with the consumer in one process: the others stopped (gracefully: nothing left unacked).
            for role in self.consumers[1:]:
                rig.processes.pop(role).stop()
            self.consumers = self.consumers[:1]
            out["e2e_one"], out["commit_one"], out["stream_one_cpu"] = self._stream(n, base + 3 * n)
        out["verdict"] = rig.drain(timeout=300)
        return out

    def _stream(self, n: int, applied: int) -> tuple[float, float, dict[str, float]]:
        """Events/s from first commit to last application, events/s committed, CPU by process.

        The events are committed by ``self.producers`` load processes side by side (as that many replicas of the
        producing service would), so that the input is not what limits the pipeline.
        """
        seq0 = self._last_seq()
        self.cpu.start()
        shares = [n // self.producers + (k < n % self.producers) for k in range(self.producers)]
        loaders = [self.rig.start_load(share, batch=500) for share in shares]
        _wait(self.rig.applied, lambda now: now >= applied, 900)
        for loader in loaders:
            loader.wait()
        cpu = {"producer": sum(_producing_cpu(loader) for loader in loaders), **self.cpu.stop()}
        span, committing = self._span(seq0, "applied")
        return n / span, n / committing, cpu


def _producing_cpu(loader) -> float:
    """The CPU seconds a load process says its commits took (its interpreter's start and imports left out)."""
    found = re.search(r"cpu ([0-9.]+) s", Path(loader.log_path).read_text())
    if not found:
        raise RuntimeError(f"the load process did not report its CPU time ({loader.log_path})")
    return float(found.group(1))


def _seconds(value) -> float:
    # SQLite hands back naive datetimes (UTC) or ISO strings; PostgreSQL aware datetimes.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def cpu_row(cpu: dict[str, float], n: int) -> str:
    """µs of CPU per event by process, their sum, and the rate two cores could sustain at that cost."""
    total = sum(cpu.values())
    parts = " · ".join(f"{name} {seconds / n * 1e6:,.0f}" for name, seconds in cpu.items())
    return f"{parts} · **total {total / n * 1e6:,.0f} µs** (two cores at that cost: at most {2 * n / total:,.0f}/s)"


def relay_before_after(rig, n: int, rounds: int = 2) -> dict[str, float]:
    """The relay of the last commit (``git show HEAD:kit/relay.py``) beside the working tree's, same rows, same run.

    Both run in this process on the producer's outbox (the site processes stopped), alternately, ``rounds`` times
    each; the best round of each is kept. Returns events/s by version.
    """
    import importlib.util
    import subprocess as sp

    import sqlalchemy as sa

    from kit.db import _Store

    source = sp.run(["git", "show", "HEAD:kit/relay.py"], cwd=ROOT, capture_output=True, text=True)
    if source.returncode != 0 or source.stdout == (ROOT / "kit" / "relay.py").read_text():
        # Nothing to compare: the same code twice measures only the order of the runs.
        return {}
    head_path = Path(tempfile.mkdtemp(prefix="relay-head-")) / "relay_head.py"
    head_path.write_text(source.stdout)
    spec = importlib.util.spec_from_file_location("relay_head", head_path)
    head = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(head)
    from kit import relay as current

    for proc in rig.processes.values():
        proc.stop()
    site = rig.platform.registry.site("mirec")
    store = _Store(site.database_url("beneficiary"))
    config = {"AMQP_URI": rig.platform.registry.admin_amqp_uri(site.vhost), "HEARTBEAT": 15}
    with store.engine.begin() as conn:
        seqs = conn.execute(sa.text("SELECT seq FROM outbox ORDER BY seq LIMIT :n"), {"n": n}).scalars().all()
    results: dict[str, float] = {}
    for _ in range(rounds):
        for label, module in (("before (HEAD)", head), ("after (working tree)", current)):
            with store.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE outbox SET sent_at = NULL, attempts = 0, next_attempt_at = NULL WHERE seq <= :last"
                    ),
                    {"last": seqs[-1]},
                )
            relay = module.OutboxRelay()
            relay.service, relay.store, relay._channel, relay._metrics_at = "beneficiary", store, None, 0.0
            relay.container = type("Container", (), {"config": config})()
            t = time.perf_counter()
            # Until every row is confirmed: a batch that timed out (a busy broker) is retried after its backoff.
            while True:
                if not relay.relay_once():
                    with store.engine.begin() as conn:
                        left = conn.execute(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
                    if not left:
                        break
                    time.sleep(0.1)
            rate = len(seqs) / (time.perf_counter() - t)
            relay._drop_channel()
            results[label] = max(results.get(label, 0.0), rate)
    store.engine.dispose()
    # What was published twice waits in the consumer's queue; the inbox would absorb it, the benchmark drops it.
    vhost = site.vhost.replace("/", "%2F")
    for queue in (rig.stream.handler, *rig.idle_queues):
        rig.platform.mgmt.delete(f"/queues/{vhost}/{queue}/contents")
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=60000, help="events per end-to-end phase")
    ap.add_argument("--baseline-events", type=int, default=20000)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument("--stream", choices=("facts", "assessments"), default="assessments")
    ap.add_argument(
        "--pool-size", type=int, default=None, help="database connections kept per service (default: the registry's, 1)"
    )
    ap.add_argument(
        "--consumers",
        type=int,
        default=2,
        help="processes running the consumer, competing on its queue, one per core (default 2); with more than "
        "one, streaming is measured again with one",
    )
    ap.add_argument(
        "--producers", type=int, default=1, help="load processes committing the streaming phases' events (default 1)"
    )
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    os.environ["PASSERELLE_TEST_DATABASE"] = args.database
    os.environ["PASSERELLE_RELIABILITY_STREAM"] = args.stream
    from kit.relay import PACK_SIZE
    from tests.reliability.load import STREAMS
    from tests.reliability.rig import Rig

    before = load_note()
    overrides = {"database_pool_size": args.pool_size} if args.pool_size else {}
    # Heartbeats of 60 s (the most the registry takes): a frozen process keeps its connection for two of them,
    # longer than the phases freeze it (about 15 s at 20,000 events).
    rig = Rig(
        Path(tempfile.mkdtemp(prefix="passerelle-bench-events-")),
        stream=STREAMS[args.stream],
        platform=overrides,
        heartbeat=60,
        consumers=args.consumers,
    )
    try:
        rig.start()
        print("baselines…", file=sys.stderr, flush=True)
        raw = pika_pipelined(rig.broker.port, args.baseline_events, "quorum")
        raw_classic = pika_pipelined(rig.broker.port, args.baseline_events, "classic")
        stock_events = max(1000, args.baseline_events // 5)
        stock = nameko_stock(rig.broker.port, stock_events)
        print("end to end…", file=sys.stderr, flush=True)
        e2e = Phases(rig, producers=args.producers).run(args.events)
        print("relay before/after…", file=sys.stderr, flush=True)
        ab = relay_before_after(rig, args.events)
    finally:
        rig.stop()
    after = load_note()
    verdict = e2e["verdict"]
    section = Section("Events: outbox → relay → broker → consumer", "bench.events.run", argv)
    pool = args.pool_size or rig.platform.registry.platform["database_pool_size"]
    section.note(
        f"Database {args.database} ({pool} pooled connection(s) per service); consumer "
        f"{STREAMS[args.stream].handler} in {args.consumers} process(es), the streaming phases' events committed "
        f"by {args.producers} load process(es) (batches of up to 500 events, a "
        "transaction per batch with its inbox rows); relay batches of 500 rows, runs of same-type events packed "
        f"{PACK_SIZE} to a message; private RabbitMQ node, quorum queues, persistent messages, confirms. "
        f"Load on the machine: {before} at start, {after} at the end."
    )
    section.row(
        "end to end, streaming (goal ≥ 5,000/s)",
        f"**{e2e['e2e']:,.0f} events/s** over {args.events:,} events, first commit to last application "
        f"(producer committed at {e2e['commit']:,.0f}/s) · {e2e['e2e'] / stock['delivered']:.2f}× stock nameko "
        f"(dispatch to handled) · {e2e['e2e'] / raw:.2f}× pika pipelined into a quorum queue",
    )
    if "e2e_one" in e2e:
        section.row(
            "end to end, streaming, the consumer in one process",
            f"{e2e['e2e_one']:,.0f} events/s (producer committed at {e2e['commit_one']:,.0f}/s)",
        )
    section.row(
        "relay alone: outbox → broker, confirmed and marked sent",
        f"{e2e['relay']:,.0f} events/s · {e2e['relay'] / stock['dispatch']:.2f}× stock nameko dispatch · "
        f"{e2e['relay'] / raw:.2f}× pika pipelined into a quorum queue · {e2e['relay'] / raw_classic:.2f}× into "
        "a classic queue",
    )
    section.row("consumer alone: queue → inbox and effect", f"{e2e['consumer']:,.0f} events/s")
    phases = [
        ("stream", "streaming"),
        ("stream_one", "streaming, one consumer process"),
        ("load", "producer alone (outbox writes, relay frozen)"),
        ("relay", "relay alone"),
        ("consumer", "consumer alone"),
    ]
    for phase, label in phases:
        if f"{phase}_cpu" in e2e:
            section.row(f"CPU per event, {label} (µs, by process)", cpu_row(e2e[f"{phase}_cpu"], args.events))
    if ab:
        before, after_ = ab["before (HEAD)"], ab["after (working tree)"]
        section.row(
            "relay of the last commit beside this one (same rows, same run, in-process, best of 2)",
            f"before {before:,.0f} events/s · after {after_:,.0f} events/s ({after_ / before:.2f}×)",
        )
    else:
        section.row("relay of the last commit beside this one", "not compared: kit/relay.py is the last commit's")
    section.row(
        "baseline: stock nameko, a service dispatching one event per call (`EventDispatcher`, a confirm per "
        "event) and another handling them (`@event_handler`), each in its own process",
        f"dispatch {stock['dispatch']:,.0f} events/s · first dispatch to last handled {stock['delivered']:,.0f} "
        f"events/s ({stock_events:,} events)",
    )
    section.row(
        "baseline: pika pipelined publishing (one event a message, persistent, 1,000 confirms in flight)",
        f"quorum queue {raw:,.0f} messages/s · classic queue {raw_classic:,.0f} messages/s "
        f"({args.baseline_events:,} each)",
    )
    section.row("loss ledger after every phase", verdict.line())
    section.footer.append(WHERE_THE_TIME_GOES)
    text = section.render()
    print(text)
    if not args.no_write:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(text, encoding="utf-8")
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    raise SystemExit(main())
