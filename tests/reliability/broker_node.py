"""A private RabbitMQ node for fault injection: started, killed, frozen and stopped by the test.

Fault tests must never touch the machine's shared broker (127.0.0.1:5672):
killing it would break every other suite. ``BrokerNode`` runs RabbitMQ's own
``bin/rabbitmq-server`` script (not the PATH wrapper, which switches to the
``rabbitmq`` user and cannot write a root-owned scratch folder) with its own
node name, ports picked free (so parallel runs do not collide), folders in a
scratch directory and the management and shovel plugins. Data survive a
``kill -9`` in the scratch folder's mnesia directory, as they would on a
server after a power cut. It stops only the node it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import requests

from tests.harness import free_port_block

PLUGINS = ("rabbitmq_management", "rabbitmq_shovel", "rabbitmq_shovel_management")
ADMIN = ("guest", "guest")


def rabbitmq_bin() -> Path:
    """RabbitMQ's own bin folder (``/usr/lib/rabbitmq/bin`` on Debian), or ``PASSERELLE_RABBITMQ_BIN``."""
    explicit = os.environ.get("PASSERELLE_RABBITMQ_BIN")
    if explicit:
        return Path(explicit)
    try:
        listing = subprocess.run(["dpkg", "-L", "rabbitmq-server"], capture_output=True, text=True, check=True).stdout
        for line in listing.splitlines():
            if line.endswith("/lib/rabbitmq/bin/rabbitmq-server"):
                return Path(line).parent
    except (OSError, subprocess.CalledProcessError):
        pass
    found = shutil.which("rabbitmq-server")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("RabbitMQ is not installed (no rabbitmq-server); set PASSERELLE_RABBITMQ_BIN")


class BrokerNode:
    """One RabbitMQ node of our own: ``start``, ``kill9``, ``restart``, ``freeze``/``thaw``, ``stop``."""

    def __init__(self, scratch: Path):
        self.dir = Path(scratch)
        self.bin = rabbitmq_bin()
        # Four consecutive free ports: AMQP, management, distribution, and the CLI's range after them.
        base = free_port_block(4)
        self.port, self.management_port, self.dist_port, self.ctl_port = base, base + 1, base + 2, base + 3
        self.name = f"passerelle-{uuid.uuid4().hex[:8]}@localhost"
        self.management_url = f"http://127.0.0.1:{self.management_port}"
        self.kills = 0
        self._server: subprocess.Popen | None = None
        for sub in ("home", "mnesia", "log"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "enabled_plugins").write_text(f"[{','.join(PLUGINS)}].\n")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
            "loopback_users = none\n"
            # The management figures are only read by tests; sampling less often spares the CPU.
            "collect_statistics_interval = 10000\n"
        )

    # -- environment ------------------------------------------------------
    def env(self) -> dict:
        d = self.dir
        return dict(
            os.environ,
            HOME=str(d / "home"),
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_CONFIG_FILE=str(d / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(d / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(d / "mnesia"),
            RABBITMQ_LOG_BASE=str(d / "log"),
            RABBITMQ_PID_FILE=str(d / "rmq.pid"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CTL_DIST_PORT_MIN=str(self.ctl_port),
            RABBITMQ_CTL_DIST_PORT_MAX=str(self.ctl_port),
        )

    def platform_env(self) -> dict:
        """What ``tests.harness.TestPlatform`` and ``config/missions.yaml`` read to use this node."""
        return {"PASSERELLE_BROKER_PORT": str(self.port), "PASSERELLE_BROKER_MANAGEMENT_URL": self.management_url}

    @property
    def pid(self) -> int | None:
        try:
            return int((self.dir / "rmq.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    # -- lifecycle --------------------------------------------------------
    def start(self, timeout: float = 90.0) -> BrokerNode:
        (self.dir / "rmq.pid").unlink(missing_ok=True)
        out = open(self.dir / "server.out", "ab")
        self._server = subprocess.Popen(
            [str(self.bin / "rabbitmq-server")],
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=self.dir,
        )  # where the VM writes its crash dumps
        out.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until AMQP accepts connections and the management API answers (its plugin starts last)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server is not None and self._server.poll() is not None:
                raise RuntimeError(f"RabbitMQ node {self.name} exited at start: {self.tail()}")
            if self.answers():
                try:
                    if requests.get(self.management_url + "/api/overview", auth=ADMIN, timeout=5).ok:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.25)
        raise RuntimeError(f"RabbitMQ node {self.name} not ready after {timeout:.0f}s: {self.tail()}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill9(self) -> None:
        """A power cut: SIGKILL to the Erlang VM, nothing flushed."""
        pid = self.pid
        if pid:
            self._signal(pid, signal.SIGKILL)
        self._reap()
        self.kills += 1

    def restart(self, graceful: bool = True) -> None:
        """Stop (``rabbitmqctl stop``, or ``kill -9`` when not graceful) and start again on the same data."""
        if graceful:
            self.stop(keep_data=True)
        else:
            self.kill9()
        self.start()

    def freeze(self) -> None:
        self._signal(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(self.pid, signal.SIGCONT)

    def stop(self, keep_data: bool = False) -> None:
        """Stop this node only (by its own name and pid); remove its scratch data unless asked to keep it."""
        pid = self.pid
        if pid and self._alive(pid):
            self._signal(pid, signal.SIGCONT)
            try:
                subprocess.run(
                    [str(self.bin / "rabbitmqctl"), "-n", self.name, "stop"],
                    env=self.env(),
                    capture_output=True,
                    timeout=60,
                    cwd=self.dir,
                )
            except subprocess.TimeoutExpired:
                pass
            deadline = time.monotonic() + 30
            while self._alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if self._alive(pid):
                self._signal(pid, signal.SIGKILL)
        self._reap()
        if not keep_data:
            shutil.rmtree(self.dir / "mnesia", ignore_errors=True)

    # -- internals ---------------------------------------------------------
    def tail(self, chars: int = 2000) -> str:
        try:
            return (self.dir / "server.out").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def _reap(self) -> None:
        if self._server is not None:
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self._server = None

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False

    @staticmethod
    def _signal(pid: int | None, sig: int) -> None:
        if pid:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def main(argv=None) -> int:
    """``python -m tests.reliability.broker_node -- CMD…``: run CMD against a private node, then stop it.

    CMD sees ``PASSERELLE_BROKER_PORT`` and ``PASSERELLE_BROKER_MANAGEMENT_URL``, which the registry and
    ``tests.harness`` read, so any integration test can run without touching the shared broker.
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
