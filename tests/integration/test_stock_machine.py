"""The README's first command on a stock machine: a RabbitMQ with Debian's default limits is never wedged.

The machine's own broker is played by a node started with the stock open-file limit (1,024) and the default
configuration. ``up`` as ``make up`` runs it (embedded default: a node of the platform's own) brings all twelve
sites up beside it and leaves it usable; ``up`` pointed at it refuses before changing anything; ``up`` against
a broker that accepts TCP and never answers the handshake fails fast. No failure leaves a process behind.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import amqp
import pytest
import requests

from kit import registry as registry_module
from runtime.preflight import need_of
from tests.harness import ROOT, TestPlatform, free_port, free_port_block
from tests.reliability.broker_node import BrokerNode

pytestmark = pytest.mark.integration
STOCK_FILE_LIMIT = 1024


def cli(registry_path: Path, *argv, timeout=300):
    env = {**os.environ, "PASSERELLE_ENV": "development"}
    return subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(registry_path), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def amqp_opens(port: int) -> bool:
    """A fresh AMQP connection as guest on ``/``, handshake included, within five seconds."""
    conn = amqp.Connection(
        f"127.0.0.1:{port}", userid="guest", password="guest", connect_timeout=5, read_timeout=5, write_timeout=5
    )
    try:
        conn.connect()
        return True
    except (OSError, amqp.exceptions.AMQPError):
        return False
    finally:
        conn.collect()


def platform_processes(registry_path: Path) -> list[str]:
    """Every live process whose command line names this registry or its data folder (ours, nobody else's)."""
    marks = (str(registry_path).encode(), str(registry_path.parent / "data").encode())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(mark in cmdline for mark in marks):
            found.append(entry.name + ": " + cmdline.replace(b"\0", b" ")[:160].decode(errors="replace"))
    return found


def vhosts_of(node: BrokerNode) -> set[str]:
    reply = requests.get(node.management_url + "/api/vhosts", auth=("guest", "guest"), timeout=10)
    return {v["name"] for v in reply.json()}


@pytest.fixture
def stock_broker(tmp_path):
    """The machine's RabbitMQ as Debian ships it: 1,024 open files, default configuration, plugins enabled."""
    node = BrokerNode(tmp_path / "stock-broker", file_limit=STOCK_FILE_LIMIT).start()
    try:
        assert node.file_limit_now() == STOCK_FILE_LIMIT
        yield node
    finally:
        node.stop()


def test_up_seeds_all_twelve_sites_beside_a_stock_broker_and_down_leaves_nothing(tmp_path, stock_broker):
    codes = [s.code for s in registry_module.load().missions]
    port = free_port_block(4)
    p = TestPlatform(
        tmp_path,
        missions=codes,
        broker={
            "embedded": True,
            "port": port,
            "management_url": f"http://127.0.0.1:{port + 1}",
            "dist_port": port + 2,
            "ctl_port": port + 3,
        },
    )
    assert len(p.registry.sites) == 12
    try:
        up = cli(p.registry_path, "up", "--seed", "--per-mission", "5", "--timeout", "180")
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        assert "all 12 sites ready" in up.stdout
        assert "seeded 55 beneficiaries" in up.stdout
        health = requests.get(f"http://127.0.0.1:{p.gateway_port}/health", timeout=30)
        assert health.status_code == 200 and health.json()["ready"] is True
        assert set(health.json()["sites"]) == set(codes) | {"intermire"}
        # The platform's own node carries it, with an open-file limit above the stock one ...
        node_pid = int((p.registry.data_dir / "broker" / "rmq.pid").read_text())
        limits = Path(f"/proc/{node_pid}/limits").read_text()
        assert (
            int(next(line for line in limits.splitlines() if line.startswith("Max open files")).split()[3])
            > STOCK_FILE_LIMIT
        )
        # ... and the machine's broker was neither touched nor wedged: a new client still gets its handshake.
        assert vhosts_of(stock_broker) == {"/"}
        assert amqp_opens(stock_broker.port)
    finally:
        down = cli(p.registry_path, "down")
    assert down.returncode == 0, down.stderr
    assert "and the broker node" in down.stdout
    assert platform_processes(p.registry_path) == []
    assert not list((p.registry.data_dir / "run").glob("*.pid"))


def test_up_refuses_a_stock_broker_before_changing_anything(tmp_path, stock_broker):
    p = TestPlatform(
        tmp_path,
        missions=[s.code for s in registry_module.load().missions],
        broker={"embedded": False, "port": stock_broker.port, "management_url": stock_broker.management_url},
    )
    up = cli(p.registry_path, "up", "--timeout", "60")
    assert up.returncode == 2
    line = up.stderr.strip().splitlines()[-1]
    assert line.startswith("passerelle: RabbitMQ at 127.0.0.1:") and "may open 1024 files" in line, up.stderr
    assert f"{need_of(p.registry).quorum_queues} quorum queues" in line and "PASSERELLE_BROKER_EMBEDDED=true" in line
    assert "Traceback" not in up.stderr
    assert vhosts_of(stock_broker) == {"/"}  # nothing declared
    assert not (p.registry.data_dir / "mirec").exists()  # nothing migrated
    assert platform_processes(p.registry_path) == []
    assert amqp_opens(stock_broker.port)


class SilentBroker:
    """Accepts TCP connections on a port and never says a word: a frozen or file-starved RabbitMQ."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_up_fails_fast_on_a_broker_that_never_answers_the_handshake(tmp_path):
    silent = SilentBroker()
    try:
        p = TestPlatform(
            tmp_path,
            missions=("mirec",),
            broker={"embedded": False, "port": silent.port, "management_url": f"http://127.0.0.1:{free_port()}"},
        )
        up = cli(p.registry_path, "up", "--timeout", "60")
    finally:
        silent.close()
    assert up.returncode == 2
    line = up.stderr.strip().splitlines()[-1]
    assert "accepts connections but did not complete the AMQP handshake" in line, up.stderr
    assert "Traceback" not in up.stderr
    assert silent.held, "up never tried the broker"
    assert platform_processes(p.registry_path) == []
    assert not (p.registry.data_dir / "mirec").exists()


def test_a_warm_up_that_fails_at_once_stops_the_node_it_had_launched(tmp_path):
    """A warm ``up`` launches its node first thing; failing a second later (here: a production setting missing)
    must stop that node too, although the node has not yet written the pid file ``down`` goes by."""
    port = free_port_block(4)
    p = TestPlatform(
        tmp_path,
        missions=("mirec",),
        broker={
            "embedded": True,
            "port": port,
            "management_url": f"http://127.0.0.1:{port + 1}",
            "dist_port": port + 2,
            "ctl_port": port + 3,
        },
    )
    broker_dir = p.registry.data_dir / "broker"
    broker_dir.mkdir(parents=True, exist_ok=True)
    (broker_dir / "definitions.json").write_text("{}")  # what a first start leaves: the next one is warm
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_BROKER_PASSWORD")}
    env.update(PASSERELLE_ENV="production")
    env.pop("PASSERELLE_BROKER_SECRET", None)
    up = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(p.registry_path), "up", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert up.returncode == 2, up.stdout + up.stderr
    assert "is not set" in up.stderr.strip().splitlines()[-1], up.stderr
    assert (broker_dir / "server.out").exists(), "the node was never launched: the test shows nothing"
    assert "and the broker node it had started" in up.stderr
    assert platform_processes(p.registry_path) == []
