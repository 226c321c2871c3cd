"""The InterMire site in production mode: no sector key in its environment, none asked for, events counted."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from kit.broker import env_name
from runtime.demo import DemoFactory
from tests.harness import ROOT, TestPlatform, free_port, terminate, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def platform(tmp_path):
    p = TestPlatform(tmp_path, missions=("mirec",)).setup()
    try:
        yield p
    finally:
        p.teardown()


def test_intermire_runs_in_production_without_the_sector_key(platform, tmp_path):
    site = platform.registry.site("intermire")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PASSERELLE_ENV", "PASSERELLE_SECTOR_KEY", "PASSERELLE_BROKER_SECRET")
    }
    # Its one broker user's password, given as a Kubernetes Secret would give it.
    user = site.broker_user("reporting")
    env[env_name(user)] = platform.registry.password_for(user)
    port = free_port()
    log = tmp_path / "intermire.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "runtime.cli",
                "--registry",
                str(platform.registry_path),
                "run-site",
                "intermire",
                "--observability-port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:

        def ready():
            assert proc.poll() is None, log.read_text()
            try:
                return requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, 40, what="InterMire ready in production mode")
        # A Mission (development mode, its own key) registers two people: their sector events reach InterMire,
        # which counts them from pseudonyms alone.
        platform.start("mirec", services=["beneficiary"])
        factory = DemoFactory(seed=18)
        for _ in range(2):
            platform.rpc("mirec", "beneficiary", "register", factory.beneficiary())
        wait_until(
            lambda: platform.rpc("intermire", "reporting", "sector_indicators")["people"] == 2, what="InterMire's count"
        )
        assert proc.poll() is None
        assert "KeyForbidden" not in log.read_text() and "SECTOR_KEY" not in log.read_text()
    finally:
        terminate(proc)
