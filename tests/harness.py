"""A throwaway platform for integration tests: real RabbitMQ, real databases, real processes.

``TestPlatform`` writes a registry of its own (a random prefix for its vhosts
and users, its own data folder and ports, SQLite or PostgreSQL by
``PASSERELLE_TEST_DATABASE``), declares its broker topology, migrates its
databases, starts site processes as ``passerelle run-site`` would, and
removes everything it created at the end. Nothing here is faked.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pika
import requests
import sqlalchemy as sa
import yaml
from stdnum.be import nn

from gateway.rpc_clients import RpcClients
from kit import registry as registry_module
from kit.actor import Actor
from kit.db import normalize_url
from kit.definitions import declare
from kit.migrations import drop_database
from kit.mode import DEVELOPMENT, ENV
from kit.testing import build
from kit.topology import Topology, management_for

ROOT = Path(__file__).resolve().parent.parent
NISS_SHAPE = re.compile(r"(?<![0-9A-Za-z-])[0-9]{11}(?![0-9A-Za-z-])")
DATABASE = os.environ.get("PASSERELLE_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("PASSERELLE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# A throwaway platform is a development platform: its broker passwords derive from the development secret
# and its tokens are minted locally. Every process it starts is told so explicitly (kit.mode).
DEVELOPMENT_ENV = {ENV: DEVELOPMENT}


# Listening ports are taken below Linux's ephemeral range (32768-60999): a port
# the kernel hands out for outgoing connections could be taken again by one of
# the platform's own broker or database connections before a site binds it.
PORTS = (20000, 32000)


def free_port() -> int:
    return free_port_block(1)


def free_port_block(size: int) -> int:
    for _ in range(200):
        base = random.randint(PORTS[0], PORTS[1] - size)
        try:
            socks = []
            for port in range(base, base + size):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port block")


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def terminate(proc: subprocess.Popen, timeout: float = 20.0, told: bool = False) -> None:
    """SIGTERM (unless ``told`` already), then SIGKILL if the process has not exited within ``timeout`` seconds."""
    if proc.poll() is None:
        if not told:
            proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class SiteProcess:
    def __init__(self, platform: TestPlatform, code: str, services=None, faults=None, port=None):
        self.platform, self.code = platform, code
        self.port = port or free_port()
        argv = [
            sys.executable,
            "-m",
            "runtime.cli",
            "--registry",
            str(platform.registry_path),
            "run-site",
            code,
            "--observability-port",
            str(self.port),
        ]
        if services:
            argv += ["--services", ",".join(services)]
        env = dict(os.environ, **DEVELOPMENT_ENV)
        env.pop("PASSERELLE_FAULTS", None)
        if faults:
            env["PASSERELLE_FAULTS"] = ",".join(faults)
        self.log_path = platform.tmp / f"{code}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"site {self.code} exited with {self.proc.returncode}:\n{self.log[-3000:]}")
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/health/ready", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    # A site is ready in 5-10 s on a quiet 2-core machine; the margin is for a machine running two test passes of
    # three processes each beside other work (a Python start alone took 26 s at load average 17).
    def wait_ready(self, timeout: float = 90.0) -> SiteProcess:
        try:
            wait_until(self.ready, timeout, what=f"site {self.code} ready")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log ends:\n{self.log[-3000:]}") from None
        return self

    def metrics(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text

    def metric(self, name: str, **labels) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        total = 0.0
        for line in self.metrics().splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def wait_killed(self, timeout: float = 30.0) -> int:
        wait_until(lambda: self.proc.poll() is not None, timeout, what=f"site {self.code} to die")
        return self.proc.returncode

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, told: bool = False):
        terminate(self.proc, told=told)
        self._log.close()


class TestPlatform:
    __test__ = False  # not a test class, despite its name

    def __init__(
        self,
        tmp: Path,
        missions=("mirec", "mirena"),
        intermire: bool = True,
        broker: dict | None = None,
        platform: dict | None = None,
    ):
        """``broker`` overrides the registry's broker entries (``port``, ``management_url``,
        ``heartbeat``…), e.g. to use a private node; ``platform`` overrides other platform entries."""
        # This process too (and what it starts on its own: a gateway, load processes, benchmarks' clients).
        os.environ.update(DEVELOPMENT_ENV)
        self.tmp = tmp
        self.prefix = f"t{uuid.uuid4().hex[:8]}-"
        self.gateway_port = free_port()
        db_prefix = self.prefix.replace("-", "_")
        database_url = (
            "sqlite:///{data_dir}/{site}/{service}.sqlite"
            if DATABASE == "sqlite"
            else POSTGRES_URL + "/" + db_prefix + "{site}_{service}"
        )
        base = yaml.safe_load((ROOT / "config" / "missions.yaml").read_text())
        default = registry_module.load()
        sites = [s for s in base["sites"] if s["code"] in missions]
        if intermire:
            sites += [s for s in base["sites"] if s["kind"] == "intermire"]
        self.document = {
            "platform": {
                "data_dir": str(tmp / "data"),
                "prefix": self.prefix,
                "database_url": database_url,
                # The test pass's broker, never an embedded node of the platform's own unless a test asks.
                "broker": {**default.broker, "embedded": False, **(broker or {})},
                # Each RPC's budget. A pass runs three pytest processes beside the other pass's three on two cores:
                # 5 s was overrun by calls that take well under a second on a quiet machine (an import batch of
                # 200 rows, a vacancy's creation). The tests of the budget itself read it from here.
                "rpc_timeout": 10,
                "gateway": {"host": "127.0.0.1", "port": self.gateway_port},
                "observability_port_base": free_port_block(len(sites)),
                "services": default.platform["services"],
                **(platform or {}),
            },
            "sites": sites,
        }
        self.registry_path = tmp / "registry.yaml"
        self.registry_path.write_text(yaml.safe_dump(self.document, allow_unicode=True))
        self.registry = registry_module.load(self.registry_path)
        self.mgmt = management_for(self.registry)
        self.sites: list[SiteProcess] = []
        self._rpc: RpcClients | None = None
        self.note_texts: set[str] = set()  # every accompaniment note written through rpc()

    # -- lifecycle -------------------------------------------------------
    def setup(self) -> TestPlatform:
        declare(self.registry)  # as broker-setup and up declare it
        for site in self.registry.sites:
            for service, path in site.services.items():
                # A copy of a database migrated once per run (kit.testing.build), as if migrated here.
                build(path.split(".", 1)[0], site.database_url(service))
        return self

    def start(self, code: str, services=None, faults=None, wait: bool = True) -> SiteProcess:
        site = SiteProcess(self, code, services, faults)
        self.sites.append(site)
        return site.wait_ready() if wait else site

    def teardown(self):
        if self._rpc:
            self._rpc.close()
        # Every site is told to stop at once, then each is waited for: their graceful stops overlap.
        told = [site.proc.poll() is None for site in self.sites]
        for site, running in zip(self.sites, told, strict=True):
            if running:
                site.proc.terminate()
        for site, running in zip(self.sites, told, strict=True):
            site.stop(told=running)
        try:
            self.assert_no_national_numbers()
        finally:
            self._remove()

    def assert_no_national_numbers(self):
        """No national register number, and no note text, in any log line or event this platform produced."""
        places = {site.log_path.name: site.log for site in self.sites}
        for log_file in (self.registry.data_dir / "log").glob("*.log"):
            places[log_file.name] = log_file.read_text(errors="replace")
        for site in self.registry.sites:
            for service in site.services:
                try:
                    engine = self.engine(site.code, service)
                    with engine.connect() as conn:
                        payloads = conn.execute(sa.text("SELECT payload FROM outbox")).scalars().all()
                    engine.dispose()
                except sa.exc.SQLAlchemyError:
                    continue  # never migrated in this test
                places[f"{site.code}/{service} outbox"] = "\n".join(payloads)
        for place, text in places.items():
            found = [n for n in NISS_SHAPE.findall(text) if nn.is_valid(n)]
            assert not found, f"national register number in {place}"
            # Texts too short to be told apart from ordinary log words are not looked for.
            assert not [t for t in self.note_texts if len(t) >= 12 and t in text], f"accompaniment note text in {place}"

    def _remove(self):
        Topology(self.registry, self.mgmt).teardown()
        for site in self.registry.sites:
            for service in site.services:
                try:
                    drop_database(site.database_url(service))
                except Exception:
                    pass

    # -- looking in ------------------------------------------------------
    def rpc(self, site: str, service: str, method: str, *args, actor: Actor | None = None, **kwargs):
        """One RPC as ``actor`` (default: a counsellor of that Mission, an analyst at InterMire)."""
        if self._rpc is None:
            self._rpc = RpcClients(self.registry)
        if method == "add_note" and len(args) > 1 and isinstance(args[1], dict):
            self.note_texts.add(str(args[1].get("text", "")))
        if actor is None:
            role = "intermire_analyst" if site == "intermire" else "counsellor"
            actor = Actor(sub=f"test-{role}", mission=site, roles=(role,))
        return self._rpc.call(site, service, method, *args, context=actor.context(), **kwargs)

    # -- records other services may refer to (kit.references checks that they exist) --------------
    def new_person(self, site: str, seed: int | None = None, province: str = "50000") -> str:
        """A person registered in ``site`` (its beneficiary service must run); returns the id."""
        from runtime.demo import DemoFactory

        payload = DemoFactory(seed=random.randrange(10**9) if seed is None else seed).beneficiary(province)
        actor = Actor(sub="test-counsellor", mission=site, roles=("counsellor",))
        return self.rpc(site, "beneficiary", "register", payload, actor=actor)["id"]

    def new_employer(self, site: str, seed: int | None = None, province: str = "50000") -> str:
        """An employer registered in ``site`` (its employer service must run); returns the id."""
        from runtime.demo import DemoFactory

        payload = DemoFactory(seed=random.randrange(10**9) if seed is None else seed).employer(province)
        actor = Actor(sub="test-agent", mission=site, roles=("employer_relations",))
        return self.rpc(site, "employer", "register", payload, actor=actor)["id"]

    def new_vacancy(self, site: str, employer_id: str, posts: int = 1, open_it: bool = True) -> str:
        """A vacancy of that employer (open unless told otherwise); returns the id."""
        actor = Actor(sub="test-agent", mission=site, roles=("employer_relations",))
        vacancy = self.rpc(
            site,
            "employer",
            "create_vacancy",
            {
                "employer_id": employer_id,
                "title": "Maçon",
                "occupation": "F1703",
                "description": "Gros oeuvre",
                "contract_type": "permanent",
                "hours_per_week": 38,
                "municipality": "52011",
                "posts": posts,
            },
            actor=actor,
        )
        if open_it:
            self.rpc(site, "employer", "open_vacancy", vacancy["id"], actor=actor)
        return vacancy["id"]

    def engine(self, site: str, service: str) -> sa.Engine:
        return sa.create_engine(
            normalize_url(self.registry.site(site).database_url(service)), poolclass=sa.pool.NullPool
        )

    def scalar(self, site: str, service: str, sql: str, **params):
        engine = self.engine(site, service)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar()
        finally:
            engine.dispose()

    def scalar_all(self, site: str, service: str, sql: str, **params) -> list:
        engine = self.engine(site, service)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params).scalars())
        finally:
            engine.dispose()

    def queue(self, vhost: str, name: str) -> dict:
        return self.mgmt.get(f"/queues/{quote(vhost, safe='')}/{quote(name, safe='')}")

    def queue_depth(self, vhost: str, name: str) -> int:
        """Messages ready in a queue, asked of the broker itself (the management API's figures lag)."""
        broker = self.registry.broker
        params = pika.ConnectionParameters(
            broker["host"], broker["port"], vhost, pika.PlainCredentials(broker["admin_user"], broker["admin_password"])
        )
        conn = pika.BlockingConnection(params)
        try:
            return conn.channel().queue_declare(name, passive=True).method.message_count
        finally:
            conn.close()

    def get_messages(self, vhost: str, name: str, count: int = 10) -> list[dict]:
        """Take up to ``count`` messages off a queue through the management API."""
        return self.mgmt.post(
            f"/queues/{quote(vhost, safe='')}/{quote(name, safe='')}/get",
            {"count": count, "ackmode": "ack_requeue_false", "encoding": "auto"},
        )

    def publish(self, vhost: str, exchange: str, routing_key: str, payload: str, **properties) -> bool:
        """Publish as the broker admin (to inject messages a service would never send)."""
        reply = self.mgmt.post(
            f"/exchanges/{quote(vhost, safe='')}/{quote(exchange, safe='')}/publish",
            {
                "properties": {"delivery_mode": 2, "content_type": "application/json", **properties},
                "routing_key": routing_key,
                "payload": payload,
                "payload_encoding": "string",
            },
        )
        return reply["routed"]


def module_platform(tmp_path_factory, name: str, sites: dict[str, list[str] | None], **options):
    """A test module's platform, for a module-scoped fixture (``yield from module_platform(...)``): declared and
    migrated, the sites of ``sites`` started in that order (code → the services it runs, None for all five), torn
    down after the module. ``options`` go to ``TestPlatform`` (``missions`` defaults to the Missions started)."""
    options.setdefault("missions", tuple(code for code in sites if code != "intermire"))
    platform = TestPlatform(tmp_path_factory.mktemp(name), **options).setup()
    try:
        for code, services in sites.items():
            platform.start(code, services=services)
        yield platform
    finally:
        platform.teardown()


@contextmanager
def gateway_client(platform: TestPlatform, **environ: str):
    """The gateway in this process over ``platform``'s services, in development mode: werkzeug's test client."""
    from werkzeug.test import Client

    from gateway.app import Gateway

    gateway = Gateway(platform.registry, environ={**DEVELOPMENT_ENV, **environ})
    try:
        yield Client(gateway)
    finally:
        gateway.rpc_clients.close()


def bearer(mission: str, role: str, sub: str | None = None) -> dict:
    """The Authorization header of a development token for ``role`` at ``mission``."""
    from gateway.auth import mint

    return {"Authorization": f"Bearer {mint(sub or f't-{role}', mission, [role])}"}
