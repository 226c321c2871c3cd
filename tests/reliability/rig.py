"""The platform under test: a private broker node, a throwaway platform on it, and supervised processes.

``Rig`` starts a ``BrokerNode``, builds a ``tests.harness.TestPlatform`` on
it (one Mission, MIREC, and InterMire; heartbeats of 5 s so that a frozen
process is noticed quickly), and runs the real site processes: the
beneficiary service (producer and relay), the consumer of the load's stream
(matching's view of people by default, or reporting's fact log, then with
InterMire's reporting too). A process that dies — killed by a fault point or
by the test, or stopped by itself after losing the broker — is started again
by ``supervise()``, as Kubernetes or systemd would; ``restarts`` counts them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests
import sqlalchemy as sa

from kit.consumer import handlers_of, queue_name
from kit.db import normalize_url
from kit.migrations import drop_database
from kit.topology import load_service_class
from tests.harness import ROOT, SiteProcess, TestPlatform, wait_until
from tests.reliability.broker_node import BrokerNode
from tests.reliability.checker import Verdict, check
from tests.reliability.ledger import LedgerReader
from tests.reliability.load import DEFAULT_STREAM, STREAMS, Stream

HEARTBEAT = 5  # seconds; the registry's minimum, so that three missed heartbeats take 15 s


class Rig:
    def __init__(
        self,
        tmp: Path,
        stream: Stream | None = None,
        platform: dict | None = None,
        heartbeat: int = HEARTBEAT,
        consumers: int = 1,
    ):
        """``platform``: registry platform entries to override (``database_pool_size``…); ``consumers``: how many
        processes run the consumer (roles ``consumer``, ``consumer-2``…, competing on its queues)."""
        self.tmp = Path(tmp)
        self.platform_overrides = dict(platform or {})
        self.heartbeat = heartbeat
        self.stream = stream or STREAMS[DEFAULT_STREAM]
        self.roles = {"producer": ("mirec", ["beneficiary"]), "consumer": ("mirec", [self.stream.consumer])}
        for k in range(2, consumers + 1):
            self.roles[f"consumer-{k}"] = self.roles["consumer"]
        if self.stream.consumer == "reporting":
            # Sector events (from gateway registrations) are checked at InterMire's reporting too.
            self.roles["intermire"] = ("intermire", ["reporting"])
        self.broker = BrokerNode(self.tmp / "broker")
        self.platform: TestPlatform | None = None
        self.processes: dict[str, SiteProcess] = {}
        self.restarts = 0
        self.gateway: subprocess.Popen | None = None
        self.loaders: list[subprocess.Popen] = []
        self.poison: set[tuple[str, str]] = set()
        self.injected: set[str] = set()
        self.acknowledged: dict[str, str] = {}
        self.reader: LedgerReader | None = None
        self._counting: dict[tuple[str, str], sa.Engine] = {}

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> Rig:
        self.broker.start()
        (self.tmp / "platform").mkdir(parents=True, exist_ok=True)
        self.platform = TestPlatform(
            self.tmp / "platform",
            missions=("mirec",),
            intermire=True,
            broker={
                "port": self.broker.port,
                "management_url": self.broker.management_url,
                "heartbeat": self.heartbeat,
            },
            platform=self.platform_overrides,
        )
        self.platform.setup()
        running: dict[str, set[str]] = {}
        for code, services in self.roles.values():
            running.setdefault(code, set()).update(services)
        self.reader = LedgerReader(self.platform, running)
        # Queues of consumers this rig does not run would only grow (by a million in the long run): emptied.
        mirec = self.platform.registry.site("mirec")
        self.idle_queues = [
            queue_name(service, method)
            for service, path in mirec.services.items()
            if service not in running["mirec"]
            for method, _type, _source in handlers_of(load_service_class(path))
        ]
        self._purged_at = 0.0
        for role in self.roles:
            self.processes[role] = self._spawn(role)
        for proc in self.processes.values():
            proc.wait_ready(60)
        return self

    def stop(self) -> None:
        for loader in self.loaders:
            if loader.poll() is None:
                loader.kill()
                loader.wait(10)
        if self.gateway and self.gateway.poll() is None:
            self.gateway.terminate()
            try:
                self.gateway.wait(10)
            except subprocess.TimeoutExpired:
                self.gateway.kill()
        for engine in self._counting.values():
            engine.dispose()
        self._counting.clear()
        try:
            if self.platform is not None:
                for proc in self.platform.sites:
                    proc.stop()
                self.platform.assert_no_national_numbers()
        finally:
            # The whole node goes, with its vhosts and users: no topology to take down one by one.
            self.broker.stop()
            if self.platform is not None:
                for site in self.platform.registry.sites:
                    for service in site.services:
                        try:
                            drop_database(site.database_url(service))
                        except Exception:
                            pass

    def _spawn(self, role: str, faults=None) -> SiteProcess:
        code, services = self.roles[role]
        proc = SiteProcess(self.platform, code, services, faults)
        self.platform.sites.append(proc)
        return proc

    # -- processes --------------------------------------------------------------
    def restart(self, role: str, faults=None, wait: bool = True) -> SiteProcess:
        """Stop ``role``'s process (kill -9 if it still runs) and start it again, armed with ``faults``."""
        old = self.processes[role]
        old.kill9()
        old.stop()
        self.processes[role] = self._spawn(role, faults)
        if wait:
            self.wait_ready(role)
        return self.processes[role]

    def wait_ready(self, role: str, timeout: float = 90.0) -> None:
        def ready():
            self.supervise()
            try:
                return self.processes[role].ready()
            except AssertionError:
                return False  # died while starting (the broker was away): supervise() starts it again

        wait_until(ready, timeout, 0.3, f"{role} ready")

    def supervise(self, but: str | None = None) -> int:
        """Start again every process that died (``but`` that one); return how many."""
        if self.idle_queues and time.monotonic() - self._purged_at > 30 and self.broker.answers():
            self._purged_at = time.monotonic()
            vhost = quote(self.platform.registry.site("mirec").vhost, safe="")
            for name in self.idle_queues:
                try:
                    self.platform.mgmt.delete(f"/queues/{vhost}/{quote(name, safe='')}/contents")
                except Exception:
                    pass  # the broker is restarting: next time
        started = 0
        for role, proc in list(self.processes.items()):
            if role != but and proc.proc.poll() is not None:
                proc.stop()
                self.processes[role] = self._spawn(role)
                self.restarts += 1
                started += 1
        return started

    def sleep(self, seconds: float, but: str | None = None) -> None:
        """Sleep while supervising."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.supervise(but)
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def start_load(self, events: int, rate: float = 0.0, batch: int = 100) -> subprocess.Popen:
        argv = [
            sys.executable,
            "-m",
            "tests.reliability.load",
            "--registry",
            str(self.platform.registry_path),
            "--site",
            "mirec",
            "--stream",
            self.stream.name,
            "--events",
            str(events),
            "--rate",
            str(rate),
            "--batch",
            str(batch),
        ]
        log_path = self.tmp / f"load-{len(self.loaders)}.log"
        log = open(log_path, "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        log.close()
        proc.log_path = log_path
        self.loaders.append(proc)
        return proc

    def loading(self) -> bool:
        for loader in self.loaders:
            if loader.poll() not in (None, 0):
                raise AssertionError(f"a load process failed with {loader.returncode}")
        return any(loader.poll() is None for loader in self.loaders)

    def start_gateway(self) -> str:
        env = dict(os.environ, PASSERELLE_RATE_PER_SECOND="10000", PASSERELLE_RATE_BURST="10000")
        log = open(self.tmp / "gateway.log", "wb")
        self.gateway = subprocess.Popen(
            [sys.executable, "-m", "runtime.cli", "--registry", str(self.platform.registry_path), "run-gateway"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
        log.close()
        url = f"http://127.0.0.1:{self.platform.gateway_port}"

        def up():
            # Listening is enough: its /health is 503 here, since only the services under test run.
            self.supervise()
            try:
                return requests.get(url + "/health", timeout=10).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_until(up, 60, 0.5, "the gateway to answer")
        return url

    # -- the ledger ---------------------------------------------------------------
    def verdict(self) -> Verdict:
        ledger = self.reader.read(acknowledged=self.acknowledged or None)
        return check(ledger, self.poison, self.injected)

    def query(self, site: str, service: str, sql: str, **params):
        """One value from a service's database, on a connection the rig keeps per database."""
        # One kept connection per database: a connection per question (a PostgreSQL backend started each time,
        # ten times a second) cost the machine more than the figures, and the benchmarks share that machine.
        engine = self._counting.get((site, service))
        if engine is None:
            url = normalize_url(self.platform.registry.site(site).database_url(service))
            engine = self._counting[(site, service)] = sa.create_engine(url, pool_size=1, pool_pre_ping=True)
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def counts(self) -> tuple[int, int, int, int]:
        """Cheap progress figures: (events committed, still pending, applications, dead letters)."""
        committed = self.query("mirec", "beneficiary", "SELECT count(*) FROM outbox")
        return committed, self.pending(), self.applied(), 0

    def pending(self) -> int:
        """Outbox rows not yet confirmed (read through the relay's partial index: cheap at any table size)."""
        return self.query("mirec", "beneficiary", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")

    def applied(self) -> int:
        """Inbox rows of the consumers' databases."""
        databases = {(code, service) for code, services in self.roles.values() for service in services}
        return sum(self.query(code, service, "SELECT count(*) FROM inbox") for code, service in sorted(databases))

    def drain(self, timeout: float = 180.0) -> Verdict:
        """Wait (supervising) until the load is written, the outbox empty and every event applied or dead.

        Cheap counts are polled first; the full ledger is read when they say the stream has settled.
        """
        deadline = time.monotonic() + timeout
        last = None
        while True:
            self.supervise()
            if not self.loading():
                counts = self.counts()
                if counts[1] == 0 and counts == last:
                    verdict = self.verdict()
                    settled = (
                        verdict.confirmed == verdict.committed
                        and verdict.lost == 0
                        and verdict.dead_lettered >= verdict.poison_injected
                    )
                    if settled:
                        return verdict
                last = counts
                if time.monotonic() > deadline:
                    return self.verdict()
            elif time.monotonic() > deadline + 3600:
                raise AssertionError("the load never finished")
            time.sleep(1.0)
