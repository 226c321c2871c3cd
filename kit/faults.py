"""Named crash points for fault-injection tests.

``point("relay.after_confirm")`` does nothing unless the process was started
with ``PASSERELLE_FAULTS`` naming that point (comma-separated), in which case
the process kills itself with SIGKILL right there, as a power cut would.
Reliability tests use this to stop a process at an exact step that an
outside ``kill -9`` could only hit by chance.

``name@N`` arms the point for its N-th passage instead of the first, so a
test under load can let a service work for a while and then crash it in the
middle of a stream (``events.after_ack@250``).

The points, in the order an event meets them:

* ``db.before_commit`` — a transaction's work is done, its commit not sent;
* ``outbox.after_commit`` — a producer's change and its events are committed,
  the relay not yet woken;
* ``relay.after_publish`` — a batch is published, its confirms not awaited;
* ``relay.after_confirm`` — the broker confirmed the batch, the outbox rows
  are not yet marked sent;
* ``events.before_ack`` — a handler's effect is committed, the message not
  yet acknowledged;
* ``events.after_ack`` — the message is acknowledged.
"""

import os
import signal


def _parse(spec: str) -> dict[str, int]:
    armed = {}
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        name, _, nth = item.partition("@")
        armed[name] = int(nth) if nth else 1
    return armed


_ARMED = _parse(os.environ.get("PASSERELLE_FAULTS", ""))
_passed: dict[str, int] = {}


def point(name: str) -> None:
    nth = _ARMED.get(name)
    if nth is None:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= nth:
        os.kill(os.getpid(), signal.SIGKILL)
