"""The README's first command: every site of the registry up, ready on the gateway's /health, and down again."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from runtime.demo import DemoFactory
from tests.harness import ROOT, TestPlatform, wait_until

pytestmark = pytest.mark.integration
# Three Missions and InterMire: the same `up`, `status` and `down` as for all eleven, whose run is in the
# README and the session notes. Eleven Missions' worth of quorum queues created and deleted inside the test
# suite, beside everything else, is more than RabbitMQ 3.10 takes on a 2-core machine.
MISSIONS = ("mirec", "mirena", "mirel")


def cli(platform, *argv, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(platform.registry_path), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def whole_platform(tmp_path):
    p = TestPlatform(tmp_path, missions=MISSIONS)
    try:
        yield p
    finally:
        cli(p, "down")
        p.teardown()


def test_up_brings_every_site_to_ready_and_down_stops_them(whole_platform):
    p = whole_platform
    up = cli(p, "up", "--timeout", "150")
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"all {len(MISSIONS) + 1} sites ready" in up.stdout
    health_url = f"http://127.0.0.1:{p.gateway_port}/health"
    health = requests.get(health_url, timeout=30)
    assert health.status_code == 200
    body = health.json()
    assert set(body["sites"]) == set(MISSIONS) | {"intermire"}
    for code, site in body["sites"].items():
        expected = (
            {"reporting"} if code == "intermire" else {"beneficiary", "employer", "convention", "matching", "reporting"}
        )
        assert set(site["services"]) == expected
        for service in site["services"].values():
            assert service == {"ready": True, "checks": {"database": "ok", "broker": "ok"}}, (code, service)

    # Every site and the gateway were forked from the launcher `up` forked (no interpreter of their own:
    # their command line is `up`'s), each in a session of its own (a signal to one is not to all), its pid
    # where `down` and `status` find it.
    run_dir = p.registry.data_dir / "run"
    pids = {f.stem: int(f.read_text()) for f in run_dir.glob("*.pid")}
    assert set(pids) == {f"site-{code}" for code in (*MISSIONS, "intermire")} | {"gateway"}
    assert len(set(pids.values())) == len(pids)
    for name, pid in pids.items():
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"up" in argv and b"run-site" not in argv and b"run-gateway" not in argv, (name, argv)
        assert os.getsid(pid) == pid, name
    status = cli(p, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert all(f"pid {pid}" in status.stdout for pid in pids.values())

    # A request is followed across the logs by its call id; the national number never appears.
    person = DemoFactory(seed=3).beneficiary("50000")
    created = p.rpc("mirec", "beneficiary", "register", person)
    log_path = p.registry.data_dir / "log" / "site-mirec.log"
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    registered = [line for line in lines if line["message"] == f"registered beneficiary {created['id']}"]
    assert len(registered) == 1
    assert registered[0]["call_id"].startswith("beneficiary.register.")
    assert registered[0]["call_id_stack"][0].startswith("standalone_rpc_proxy.call.")
    for log_file in (p.registry.data_dir / "log").glob("*.log"):
        assert person["niss"] not in log_file.read_text()

    # One site down: the gateway says which, and still answers for the others.
    pid = int((p.registry.data_dir / "run" / "site-mirena.pid").read_text())
    os.kill(pid, signal.SIGKILL)

    def down_sites():
        reply = requests.get(health_url, timeout=30)
        return reply.status_code == 503 and {code for code, s in reply.json()["sites"].items() if not s["ready"]}

    assert wait_until(down_sites, what="the gateway to report MIRENA down") == {"mirena"}

    down = cli(p, "down")
    assert down.returncode == 0
    assert not list((p.registry.data_dir / "run").glob("*.pid"))
    with pytest.raises(requests.ConnectionError):
        requests.get(health_url, timeout=5)
