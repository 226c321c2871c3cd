"""Named crash points for fault-injection tests.

``point("relay.after_confirm")`` does nothing unless the process was started
with ``PASSERELLE_FAULTS`` naming that point (comma-separated), in which case
the process kills itself with SIGKILL right there, as a power cut would.
Reliability tests use this to stop a process at an exact step that an
outside ``kill -9`` could only hit by chance.
"""

import os
import signal

_ARMED = frozenset(p for p in os.environ.get("PASSERELLE_FAULTS", "").split(",") if p)


def point(name: str) -> None:
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
