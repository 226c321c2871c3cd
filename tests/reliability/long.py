"""The long reliability run: a million events (or ``--events``) under a seeded random schedule of every fault.

    python -m tests.reliability.long --events 1000000 --seed 7 [--database postgresql] [--stream facts]

One load flows from start to end; until the consumer has applied all of it,
faults are drawn from the scenarios (``tests.reliability.scenarios``) with
the seed's random generator: broker ``kill -9`` (at least ten, whatever the
draw), graceful broker restarts, service crash points, poison messages, the
gateway writing while the broker is down for 60 s (once), a frozen consumer.
Then the platform drains and the checker reads the whole ledger. Prints the
verdict and appends a section to RELIABILITY.md (under "Long-run results")
with the seed, commit and machine. Exits 1 when the verdict is not
0 / 0 / 0 / the poison.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench.report import commit, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    ap.add_argument(
        "--stream",
        choices=("facts", "assessments"),
        default=None,
        help="which consumer takes the load (default: PASSERELLE_RELIABILITY_STREAM or assessments)",
    )
    ap.add_argument("--rate", type=float, default=0.0, help="events per second offered (default: unlimited)")
    ap.add_argument("--pause", type=float, default=20.0, help="mean seconds between two faults")
    ap.add_argument("--no-write", action="store_true", help="do not append to RELIABILITY.md")
    args = ap.parse_args(argv)
    # Read by tests.harness and tests.reliability.load at import: set before importing them.
    os.environ["PASSERELLE_TEST_DATABASE"] = args.database
    if args.stream:
        os.environ["PASSERELLE_RELIABILITY_STREAM"] = args.stream

    # Stopped with SIGTERM (or SIGINT from a background shell, where it is ignored): still take the rig down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from tests.reliability.rig import Rig
    from tests.reliability.scenarios import SCENARIOS, Scale

    rng = random.Random(args.seed)
    at_start = commit()  # the code under test is the code the run started with
    scale = Scale.full()
    started = time.monotonic()
    rig = Rig(Path(tempfile.mkdtemp(prefix="passerelle-long-")))
    injected: list[str] = []
    try:
        rig.start()
        rig.start_load(args.events, args.rate, batch=200)
        gateway_done = False

        # Faults go on until the consumer has applied the whole load, not only while it is being written.
        def running() -> bool:
            return rig.loading() or rig.counts()[2] < args.events

        while running():
            rig.sleep(rng.expovariate(1 / args.pause))
            if not running():
                break
            kills_left = max(0, 10 - rig.broker.kills)
            names = [n for n in SCENARIOS if n != "gateway_writes_broker_down" or not gateway_done]
            # Broker kills are drawn more often until ten have happened.
            name = "broker_kill9" if kills_left and rng.random() < 0.4 else rng.choice(names)
            one = Scale(**{**scale.__dict__, "broker_kills": 1}) if name == "broker_kill9" else scale
            note = SCENARIOS[name](rig, rng, one, load=False)
            gateway_done = gateway_done or name == "gateway_writes_broker_down"
            line = f"[{time.monotonic() - started:7.0f}s] {name}: {note} (committed so far {rig.counts()[0]:,})"
            print(line, flush=True)
            injected.append(line)
        while rig.broker.kills < 10:  # the load was short: make up the broker kills before draining
            note = SCENARIOS["broker_kill9"](rig, rng, Scale(**{**scale.__dict__, "broker_kills": 1}), load=False)
            injected.append(f"[{time.monotonic() - started:7.0f}s] broker_kill9 (after the load): {note}")
        verdict = rig.drain(timeout=1800)
    finally:
        rig.stop()
    elapsed = time.monotonic() - started
    print(verdict.explain())
    section = [
        f"### Long run — {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, commit {at_start}",
        "",
        f"Command: `python -m tests.reliability.long {' '.join(argv if argv is not None else sys.argv[1:])}` "
        f"(seed {args.seed}, {args.database}, stream {rig.stream.name})",
        f"Machine: {machine()}, shared with other engineers' test runs while it ran.",
        "",
        f"**Verdict: {'PASS' if verdict.passed else 'FAIL'}** — {verdict.line()}; "
        f"{rig.broker.kills} broker kill -9, {rig.restarts} process restarts by the supervisor, "
        f"{elapsed / 60:.1f} min.",
        "",
        "Faults, in order:",
        "",
        *[f"- `{line.strip()}`" for line in injected],
        "",
    ]
    text = "\n".join(section)
    print(text)
    if not args.no_write:
        with open(ROOT / "RELIABILITY.md", "a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    sys.exit(main())
