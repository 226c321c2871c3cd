"""CPU time used by processes over a benchmark phase, read from /proc (user + system, whole process trees).

On a two-core machine every process of a pipeline takes from the same two
cores, so a rate is bounded by the CPU the pipeline spends per item: a phase's
CPU seconds per item, by process, say where the time goes and what rate the
machine could reach at most. Processes that exit during a phase (a load
generator) are counted through ``resource.getrusage(RUSAGE_CHILDREN)`` once
they have been waited for.
"""

from __future__ import annotations

import os
from collections.abc import Callable

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _processes() -> dict[int, tuple[int, float, str]]:
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat:
                try:
                    comm = open(f"/proc/{name}/comm").read().strip()
                except OSError:
                    continue
                found[int(name)] = (*stat, comm)
    return found


def tree_cpu(root: int, table: dict[int, tuple[int, float, str]]) -> float:
    """CPU seconds of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
        todo.extend(children.get(pid, ()))
    return total


class CpuMeter:
    """CPU seconds by named process group between ``start()`` and ``stop()``.

    ``groups`` maps a name to a callable giving the group's root pids now
    (they may change between phases); ``commands`` names groups by process
    name (``postgres``: every server process).
    """

    def __init__(self, groups: dict[str, Callable[[], list[int]]], commands: dict[str, str] | None = None):
        self.groups, self.commands = groups, dict(commands or {})
        self._start: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        table = _processes()
        out = {name: sum(tree_cpu(pid, table) for pid in roots()) for name, roots in self.groups.items()}
        for name, comm in self.commands.items():
            out[name] = sum(cpu for _, cpu, c in table.values() if c == comm)
        return out

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, float]:
        """CPU seconds of each group since ``start()`` (a group whose processes changed is read as it is now)."""
        now = self._read()
        return {name: max(0.0, now[name] - self._start.get(name, 0.0)) for name in now}
