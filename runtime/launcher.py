"""Every site process, and the gateway, forked from one parent that imported their code once.

    python -m runtime.launcher --registry PATH [--after-go] site-mirec site-mirena ... gateway

How ``passerelle up`` starts the sites. The parent imports every service
module the named sites run (and the gateway), fills the process-wide caches
every Mission would otherwise compute for itself at start (municipality
positions, the taxonomy, the job-title index), then forks one child per
name and exits. ``up`` forks it early, while it holds no socket or
database connection (``run_forked``), and it preloads (CPU) while ``up``
writes the broker topology and migrates (disk) and the broker node boots;
it forks the sites when ``up`` writes ``go`` on the pipe between them, and
without it (``up`` failed) it exits without forking. ``python -m runtime.launcher`` is the same
launcher started on its own (``--after-go``: wait for ``go`` on standard
input). Each child is what ``passerelle run-site CODE`` (or ``run-gateway``)
runs: ``runtime.processes.run_named``, in its own session, its output in
``var/log/<name>.log``, its pid in ``var/run/<name>.pid`` for ``down`` and
``status``.

Why: importing a Mission's code costs some two seconds of CPU, and
thirteen processes doing it at once on two cores took longer than the rest
of the start together; forked children share the parent's imported modules
and caches (copy-on-write) and go straight to their preflight.

Forking is only safe from a parent with nothing a child could share by
mistake: no broker or database connection, no listening socket, no
thread of Python's, no eventlet hub. ``ensure_forkable`` checks this and
the launcher refuses to fork otherwise. Importing ``eventlet`` and
monkey-patching creates the parent's hub (an epoll descriptor): it is
dropped before the fork, so each child's first green call makes its own.
"""

from __future__ import annotations

from runtime import green  # noqa: F401  (first: eventlet patches the standard library)

# isort: split
import argparse
import gc
import importlib
import logging
import os
import sys
import time
import traceback
from pathlib import Path

import eventlet.hubs
from eventlet import patcher

from kit import registry as registry_module
from kit.registry import Registry
from kit.topology import load_service_class
from runtime.processes import GATEWAY, SITE_PREFIX, check_name, run_named


def _warm_matching() -> None:
    # What every Mission's matching service computes at start, in a thread of its own, and that is
    # the same data in every one: computed here once, the children find it in their caches.
    from matching import geo
    from matching.index import cache_folder
    from matching.titles import TitleIndex

    from kit.taxonomy import load

    geo.positions()
    # Read back (or trained once, if the cache does not hold it yet) here: each child finds it in memory.
    TitleIndex.cached(load(os.environ.get("PASSERELLE_ROME_DIR") or None), cache_folder())


# A service module imported by the parent → what else its children would each do the same way at start.
WARM = {"matching.service": _warm_matching}


def preload(registry: Registry, names: list[str]) -> None:
    """Import the code of every named process, then fill the caches their services share."""
    codes = {name[len(SITE_PREFIX) :] for name in names if name.startswith(SITE_PREFIX)}
    for site in registry.sites:
        if site.code in codes:
            for path in site.services.values():
                load_service_class(path)
    if GATEWAY in names:
        importlib.import_module("gateway.app")
    for module, warm in WARM.items():
        if module in sys.modules:
            warm()


def drop_hub() -> None:
    """Close the hub monkey-patching made: children must not share its epoll descriptor."""
    hub = getattr(eventlet.hubs._threadlocal, "hub", None)
    if hub is not None:
        poll = getattr(hub, "poll", None)
        if poll is not None and hasattr(poll, "close"):
            poll.close()
        eventlet.hubs.use_hub()  # forgets it; the next green call in a child makes a fresh one


def _descriptors() -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the listing's own descriptor, already closed
            pass
    return found


def ensure_forkable() -> None:
    """Raise ``RuntimeError`` if this process holds anything a forked child would share by mistake.

    Threads started by native libraries (OpenBLAS's pool) are not Python's: they handle fork themselves.
    """
    problems = []
    threads = [
        t.name
        for t in patcher.original("threading").enumerate()
        if t is not patcher.original("threading").main_thread()
    ]
    if threads:
        problems.append(f"threads running: {', '.join(threads)}")
    if getattr(eventlet.hubs._threadlocal, "hub", None) is not None:
        problems.append("an eventlet hub exists")
    if os.path.isdir("/proc/self/fd"):
        shared = [d for d in _descriptors() if d.startswith(("socket:", "anon_inode:[eventpoll]"))]
        if shared:
            problems.append(f"open descriptors: {', '.join(sorted(set(shared)))}")
    if problems:
        raise RuntimeError("cannot fork the site processes: " + "; ".join(problems))


def _redirect(stdin_fd: int, log_path: Path) -> None:
    """Standard input from ``stdin_fd`` (then closed), standard output and error appended to ``log_path``."""
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(stdin_fd, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.close(stdin_fd)


def _child(registry: Registry, name: str, log_path: Path) -> None:
    """In the forked child: become ``passerelle <verb>`` as started on its own. Never returns."""
    code = 1
    try:
        gc.enable()
        os.setsid()  # its own session, as ``up`` always started them: a signal to one is not to all
        _redirect(os.open(os.devnull, os.O_RDONLY), log_path)
        eventlet.hubs.use_hub()  # no hub from the parent: this process's first green call makes its own
        os.environ["PASSERELLE_REGISTRY"] = str(registry.path)
        code = run_named(registry, name)
    except SystemExit as exc:  # ``run`` exits 1 when a container died for good
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        # Flush what the child wrote, then leave without the parent's atexit handlers or stack.
        logging.shutdown()
        _exit(code or 0)


def wait_for_go() -> bool:
    """Block until ``up`` writes ``go`` (True) or closes the pipe without it (False)."""
    # The buffer's own readline: a plain read(2) in C, which needs no hub (eventlet patches ``os.read``).
    return sys.stdin.buffer.readline().strip() == b"go"


def launch(registry: Registry, names: list[str], after_go: bool = False) -> dict[str, int] | None:
    """Preload, (wait for ``go``,) fork one child per name, record their pids; returns name → pid.

    None when ``after_go`` and the go never came: nothing was forked.
    """
    began = time.monotonic()
    # As Python's docs for gc.freeze advise for a parent that forks without exec: no collections while
    # preloading (they cost some 40% of its CPU, scanning the ever larger heap of imported modules), and
    # everything frozen before the fork, so that the children's collections never touch, and so copy,
    # the pages they share with the parent. Each child enables collection again.
    gc.disable()
    preload(registry, names)
    drop_hub()
    ensure_forkable()
    gc.freeze()
    print(f"preloaded {len(names)} processes' code in {time.monotonic() - began:.1f}s", file=sys.stderr)
    if after_go and not wait_for_go():
        return None
    began = time.monotonic()
    run_dir, log_dir = registry.data_dir / "run", registry.data_dir / "log"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    pids = {}
    for name in names:
        sys.stdout.flush()  # nothing buffered here may be written again by a child
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(registry, name, log_dir / f"{name}.log")
        (run_dir / f"{name}.pid").write_text(str(pid))
        pids[name] = pid
    print(f"forked {len(pids)} processes in {time.monotonic() - began:.2f}s", file=sys.stderr)
    return pids


def run_forked(registry: Registry, names: list[str], go_fd: int, log_path: Path) -> None:
    """The launcher as ``up`` starts it: forked from ``up``, ``go`` on ``go_fd``, output in ``log_path``.

    Never returns. Exits 0 once every child is forked, 3 without the go, 1 on any failure.
    """
    code = 1
    try:
        os.setsid()  # ``up`` ending, or its terminal closing, is nothing to the launcher or the sites
        _redirect(go_fd, log_path)  # ``wait_for_go`` reads standard input
        code = 0 if launch(registry, names, after_go=True) is not None else 3
        if code:
            print("no go: nothing started", file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        _exit(code)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runtime.launcher", description=__doc__.split("\n")[0])
    ap.add_argument("--registry", help="registry file (default: config/missions.yaml)")
    ap.add_argument(
        "--after-go", action="store_true", help="preload, then fork only once a line 'go' comes on standard input"
    )
    ap.add_argument("names", nargs="+", help="gateway or site-<code>")
    args = ap.parse_args(argv)
    for name in args.names:
        try:
            check_name(name)  # an unknown name stops the launcher before anything is forked
        except ValueError as exc:
            ap.error(str(exc))
    registry = registry_module.load(args.registry)
    pids = launch(registry, args.names, after_go=args.after_go)
    if pids is None:
        print("no go: nothing started", file=sys.stderr)
        return 3
    print(" ".join(f"{name}={pid}" for name, pid in pids.items()))
    return 0


def _exit(code: int) -> None:
    # Nothing to clean up once the children are forked, and tearing down an interpreter that holds
    # numpy, scipy and scikit-learn takes a while ``up`` would wait for: leave at once. Whatever the flush
    # does, the process leaves here: a forked child must never return into the parent's loop.
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


if __name__ == "__main__":
    _exit(main())
