"""A site whose broker connections fail while its containers start survives and comes up.

Found when twelve sites opened some 700 connections at once: a few were reset or timed out, the
container died and the process with it. Here a small TCP proxy stands between one site and the real
broker and spoils a given run of connections, counted rather than timed: the preflight's check and the
consumers' connections pass, then the next ones (the first RPC reply's, as the gateway's health poll
makes during ``passerelle up``, and the restarted container's) are reset or closed at once, then everything
passes again. Before, that first reply's failure killed the container and the process with it; the site
must now stay up and answer.

And the launcher ``passerelle up`` forks the sites from refuses a parent that holds anything its
children would share (a hub, a socket), and forks nothing when ``up`` never says go.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import threading

import pytest
import yaml

from tests.harness import ROOT, TestPlatform, free_port, terminate, wait_until

pytestmark = pytest.mark.integration


class FlakyProxy:
    """Forwards TCP to the broker, except connections number ``first+1 … first+count`` (1-based)."""

    def __init__(self, target: tuple[str, int], first: int, count: int, mode: str):
        self.target, self.first, self.count, self.mode = target, first, count, mode
        self.accepted = 0
        self.spoiled = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._server = threading.Thread(target=self._serve, daemon=True)
        self._server.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._stop.is_set():
                client.close()
                return
            self.accepted += 1
            if self.first < self.accepted <= self.first + self.count:
                self.spoiled += 1
                if self.mode == "reset":
                    # SO_LINGER 0: close() sends RST, as a swamped broker's kernel does.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                else:  # "close": accepted and closed before the AMQP handshake
                    client.close()
                continue
            threading.Thread(target=self._pipe_pair, args=(client,), daemon=True).start()

    def _pipe_pair(self, client: socket.socket):
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            src.close()  # each direction closes the socket it reads: nothing waits on a closed descriptor

    def close(self):
        # Wake the accept loop before closing the listener: a green thread still waiting on a closed descriptor
        # meets whatever socket reuses its number (a database connection of the teardown, say).
        self._stop.set()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        except OSError:
            pass
        self._server.join(5)
        self._listener.close()


@pytest.fixture
def one_mission(tmp_path):
    p = TestPlatform(tmp_path, missions=("mirec",), intermire=False).setup()
    yield p
    p.teardown()


def start_behind(platform: TestPlatform, proxy: FlakyProxy, services: list[str]):
    """``run-site mirec`` whose AMQP connections go through ``proxy`` (shovels and setup do not)."""
    doc = yaml.safe_load(platform.registry_path.read_text())
    doc["platform"]["broker"]["port"] = proxy.port
    registry = platform.tmp / "behind-proxy.yaml"
    registry.write_text(yaml.safe_dump(doc, allow_unicode=True))
    port = free_port()
    log = platform.tmp / "site.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "runtime.cli",
            "--registry",
            str(registry),
            "run-site",
            "mirec",
            "--services",
            ",".join(services),
            "--observability-port",
            str(port),
        ],
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    return proc, port, log


# ``run-site mirec --services beneficiary`` opens three connections to be ready: the preflight's check,
# the RPC consumer's and the event consumer's; the first RPC reply opens the fourth.
AT_READY = 3


@pytest.mark.parametrize("mode", ["reset", "close"])
def test_site_survives_broker_connections_failing_while_it_starts(one_mission, mode):
    broker = one_mission.registry.broker
    proxy = FlakyProxy((broker["host"], broker["port"]), first=AT_READY, count=3, mode=mode)
    proc, port, log = start_behind(one_mission, proxy, ["beneficiary"])

    def alive():
        if proc.poll() is not None:
            raise AssertionError(f"the site exited with {proc.returncode}:\n{log.read_text()[-3000:]}")

    def answers():
        alive()
        try:
            return one_mission.rpc("mirec", "beneficiary", "health")["ready"]
        except Exception:  # no reply (the container is being started again): ask again
            return False

    try:
        wait_until(lambda: alive() or "site mirec ready" in log.read_text(), timeout=120, what="the site to start")
        assert proxy.accepted == AT_READY, "the site opened other connections than expected to be ready"
        wait_until(answers, timeout=150, interval=0.5, what="the site to answer behind the failing connections")
        assert proxy.spoiled == 3, "the site never met the failing connections"
        assert "starting it again" in log.read_text()
        alive()
    finally:
        terminate(proc, 30)
        proxy.close()


# ``passerelle up`` forks the sites from one parent that imported their code (``runtime.launcher``); a child
# sharing the parent's hub, a socket or a thread would misbehave in ways no readiness check shows.
FORKABLE_PROBE = """
import socket
from runtime import launcher
try:
    launcher.ensure_forkable()
    print("fresh: forkable")
except RuntimeError as exc:
    print("fresh:", exc)
launcher.drop_hub()
launcher.ensure_forkable()
print("hub dropped: forkable")
held = socket.socket()
try:
    launcher.ensure_forkable()
    print("socket open: forkable")
except RuntimeError as exc:
    print("socket open:", exc)
"""


def test_launcher_refuses_to_fork_while_it_holds_a_hub_or_a_socket():
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", FORKABLE_PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("fresh: cannot fork") and "an eventlet hub exists" in lines[0]
    assert lines[1] == "hub dropped: forkable"
    assert lines[2].startswith("socket open: cannot fork") and "socket:" in lines[2]


def test_launcher_forks_nothing_without_the_go(tmp_path):
    platform = TestPlatform(tmp_path, missions=("mirec",), intermire=False)
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-m",
            "runtime.launcher",
            "--registry",
            str(platform.registry_path),
            "--after-go",
            "site-mirec",
            "gateway",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 3, done.stdout + done.stderr[-2000:]
    assert "preloaded 2 processes' code" in done.stderr
    assert "no go: nothing started" in done.stderr
    assert not list((platform.registry.data_dir / "run").glob("*.pid"))
