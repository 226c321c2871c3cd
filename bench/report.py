"""What every benchmark section says besides its figures: machine, commit, load, command, date.

Used by every ``bench/<area>/run.py`` and the long reliability run; a section is a markdown table
of measures written to ``bench/results/<area>.md`` and assembled into
BENCHMARKS.md by ``python -m bench``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def commit() -> str:
    try:
        head = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
        dirty = subprocess.call(["git", "diff", "--quiet", "HEAD"], cwd=ROOT) != 0
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load_note() -> str:
    """The machine's load averages: the benchmarks share two cores with whatever else runs."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


class Section:
    def __init__(self, title: str, module: str, argv=None):
        self.title, self.module = title, module
        self.argv = list(argv if argv is not None else sys.argv[1:])
        self.rows: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.footer: list[str] = []
        self.when = time.strftime("%Y-%m-%d %H:%M", time.gmtime())

    def row(self, measure: str, figures: str) -> None:
        self.rows.append((measure, figures))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        command = f"python -m {self.module} {' '.join(self.argv)}".rstrip()
        lines = [
            f"## {self.title}",
            "",
            f"{self.when} UTC, commit {commit()}",
            "",
            f"Machine: {machine()}",
            "",
            f"Command: `{command}`",
            "",
        ]
        lines += [*self.notes, ""] if self.notes else []
        lines += ["| measure | figures |", "|---|---|", *[f"| {m} | {f} |" for m, f in self.rows], ""]
        lines += [*self.footer, ""] if self.footer else []
        return "\n".join(lines)
