"""A private RabbitMQ node for tests: started, killed, frozen and stopped by the test.

Fault tests must never touch the machine's shared broker (127.0.0.1:5672):
killing it would break every other suite. ``BrokerNode`` is the platform's own
``runtime.rabbit_node.Node`` (the embedded default's broker) with ports picked free,
so parallel runs do not collide, a random node name and a scratch folder. Data
survive a ``kill -9`` in the scratch folder's mnesia directory, as they would on
a server after a power cut. It stops only the node it started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

from runtime.rabbit_node import ADMIN, FILE_LIMIT, PLUGINS, Node, rabbitmq_bin  # noqa: F401  (re-exported for the tests)
from tests.harness import free_port_block


class BrokerNode(Node):
    """A ``Node`` on four consecutive free ports (AMQP, management, distribution, CLI) in ``scratch``.

    ``file_limit`` sets the node's soft open-file limit (``None``: inherit the caller's; 1024: a stock node's).
    """

    def __init__(self, scratch: Path, file_limit: int | None = FILE_LIMIT):
        base = free_port_block(4)
        super().__init__(
            Path(scratch),
            name=f"passerelle-{uuid.uuid4().hex[:8]}@localhost",
            port=base,
            management_port=base + 1,
            dist_port=base + 2,
            ctl_port=base + 3,
            file_limit=file_limit,
        )


def main(argv=None) -> int:
    """``python -m tests.reliability.broker_node -- CMD…``: run CMD against a private node, then stop it.

    CMD sees ``PASSERELLE_BROKER_PORT``, ``PASSERELLE_BROKER_MANAGEMENT_URL`` and ``PASSERELLE_BROKER_EMBEDDED=false``,
    which the registry and ``tests.harness`` read, so any integration test can run without touching another broker.
    """
    import sys
    import tempfile

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m tests.reliability.broker_node -- CMD [ARGS…]", file=sys.stderr)
        return 2
    node = BrokerNode(Path(tempfile.mkdtemp(prefix="passerelle-node-"))).start()
    try:
        return subprocess.call(args, env={**os.environ, **node.platform_env()})
    finally:
        node.stop()
        shutil.rmtree(node.dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
