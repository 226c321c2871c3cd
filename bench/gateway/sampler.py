"""The gateway in the foreground under a CPU-time sampling profiler: where its CPU goes per request.

    python -m bench.gateway.sampler --registry PATH --out FILE [--interval 0.001]

Runs ``passerelle run-gateway`` in this process with ``ITIMER_PROF``: every
``--interval`` seconds of this process's CPU time (user + system, not wall
time, so other work on the machine does not count), a signal records the stack
that was running (the kernel checks the timer on its clock tick, so with
an interval shorter than a tick there are fewer samples than milliseconds:
read the shares, not the counts). eventlet runs every green thread in one OS thread, so the
interrupted frame is the request's own. On SIGTERM the samples are written to
``FILE`` as text: the functions by their own samples and by the samples under
them (inclusive), each as a share of all samples. ``bench.gateway.run
--profile FILE`` starts the gateway this way.
"""

from __future__ import annotations

from runtime import green  # noqa: F401  (first: eventlet patches the standard library)

# isort: split

import argparse
import collections
import os
import signal
import sys
from pathlib import Path


class Sampler:
    """Stacks sampled every ``interval`` seconds of this process's CPU time."""

    def __init__(self, interval: float = 0.001, depth: int = 80):
        self.interval, self.depth = interval, depth
        self.samples = 0
        self.own: collections.Counter[str] = collections.Counter()
        self.inclusive: collections.Counter[str] = collections.Counter()

    @staticmethod
    def _name(frame) -> str:
        code = frame.f_code
        path = code.co_filename
        for marker in ("site-packages/", "/work/", "lib/python3.11/"):
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        return f"{path}:{code.co_name}"

    def _take(self, signum, frame) -> None:
        if frame is None:
            return
        self.samples += 1
        self.own[self._name(frame)] += 1
        seen = set()
        depth = 0
        while frame is not None and depth < self.depth:
            name = self._name(frame)
            if name not in seen:  # recursion counts once per sample
                seen.add(name)
                self.inclusive[name] += 1
            frame, depth = frame.f_back, depth + 1

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._take)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)

    def report(self, top: int = 70) -> str:
        total = max(self.samples, 1)
        lines = [f"{self.samples} samples, one per {self.interval * 1000:g} ms of CPU", "", "own time:"]
        lines += [f"{n / total:6.1%}  {name}" for name, n in self.own.most_common(top)]
        lines += ["", "inclusive:"]
        lines += [f"{n / total:6.1%}  {name}" for name, n in self.inclusive.most_common(top)]
        return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registry", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--interval", type=float, default=0.001, help="seconds of CPU between samples")
    args = parser.parse_args(argv)
    import gateway.app  # noqa: F401  (imported before sampling starts: the profile is of serving, not of imports)
    from runtime import processes
    from runtime.cli import _registry

    sampler = Sampler(args.interval)

    def finish(signum, frame):
        sampler.stop()
        Path(args.out).write_text(sampler.report())
        os._exit(0)  # at once: the signal may have interrupted eventlet's hub, which need not unwind

    signal.signal(signal.SIGTERM, finish)
    sampler.start()
    return processes.run_gateway(_registry(argparse.Namespace(registry=args.registry)))


if __name__ == "__main__":
    sys.exit(main())
