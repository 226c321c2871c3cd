"""kit.definitions: the broker topology rendered as a RabbitMQ definitions file, from kit.topology itself."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from kit.consumer import queue_arguments
from kit.definitions import declare, password_hash, rabbitmq_definitions, record
from kit.registry import load
from tests.harness import TestPlatform, wait_until

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load(ROOT / "config" / "missions.yaml", environ={})


def test_definitions_hold_every_object_broker_setup_declares():
    rec = record(REGISTRY)
    defs = rabbitmq_definitions(REGISTRY)
    assert {v["name"] for v in defs["vhosts"]} == {s.vhost for s in REGISTRY.sites} | {
        REGISTRY.agencies_vhost,
        REGISTRY.transfers_vhost,
    }
    assert {(q["vhost"], q["name"]) for q in defs["queues"]} == {(q["vhost"], q["name"]) for q in rec.queues}
    assert len(defs["bindings"]) == len(rec.bindings) and len(defs["exchanges"]) == len(rec.exchanges)
    assert {(p["vhost"], p["user"], p["read"]) for p in defs["permissions"]} == {
        (p["vhost"], p["user"], p["read"]) for p in rec.permissions
    }
    # Consumer queues are quorum queues with exactly the arguments the consumers declare with.
    mirec = REGISTRY.site("mirec")
    consumer = next(q for q in defs["queues"] if q["vhost"] == mirec.vhost and "x-delivery-limit" in q["arguments"])
    assert consumer["arguments"] == queue_arguments(consumer["name"])
    # Shovels carry sector and agency events out of each Mission, acknowledging on confirm.
    shovels = {(p["vhost"], p["name"]): p["value"] for p in defs["parameters"] if p["component"] == "shovel"}
    for mission in REGISTRY.missions:
        assert shovels[(mission.vhost, "to-sector")]["src-queue"] == "outgoing.sector"
        assert shovels[(mission.vhost, "to-agency")]["src-queue"] == "outgoing.agency"
        # Transfers between Missions: out through the transfers vhost, in from the Mission's own queue there.
        assert shovels[(mission.vhost, "to-transfers")]["src-queue"] == "outgoing.transfer"
        assert shovels[(REGISTRY.transfers_vhost, f"to-{mission.code}")]["src-queue"] == f"transfers.{mission.code}"
    assert {v["ack-mode"] for v in shovels.values()} == {"on-confirm"}


def test_users_carry_rabbitmq_sha256_hashes_never_their_passwords():
    defs = rabbitmq_definitions(REGISTRY)
    users = {u["name"]: u for u in defs["users"]}
    assert users[REGISTRY.broker["admin_user"]]["tags"] == "administrator"
    user = REGISTRY.site("mirec").broker_user("beneficiary")
    password = REGISTRY.password_for(user)
    stored = base64.b64decode(users[user]["password_hash"])
    salt, digest = stored[:4], stored[4:]
    assert digest == hashlib.sha256(salt + password.encode()).digest()  # rabbit_password_hashing_sha256
    assert users[user]["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    assert password not in json.dumps(defs["users"])
    assert password_hash(user, password) == users[user]["password_hash"]  # the same file twice


def test_definitions_command_writes_the_file_from_the_environment(tmp_path):
    out = tmp_path / "definitions.json"
    env = {
        "PATH": "/usr/bin:/bin",
        "PASSERELLE_BROKER_HOST": "localhost",
        "PASSERELLE_BROKER_PORT": "5672",
        "PASSERELLE_BROKER_EMBEDDED": "false",
        "PASSERELLE_BROKER_ADMIN_USER": "admin",
        "PASSERELLE_BROKER_SECRET": "a-secret-from-the-host",
    }
    done = subprocess.run(
        [sys.executable, "-m", "kit.definitions", "rabbitmq", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    defs = json.loads(out.read_text())
    assert "admin" in {u["name"] for u in defs["users"]}
    uris = [p["value"]["src-uri"] for p in defs["parameters"]]
    assert uris and all("@localhost:5672/" in uri for uri in uris)


@pytest.mark.integration
def test_a_real_rabbitmq_loads_the_definitions_and_runs_their_shovels(tmp_path):
    """What docker-compose's broker loads at boot, imported into the real broker on a throwaway prefix."""
    platform = TestPlatform(tmp_path)  # its own prefix for vhosts and users; nothing declared yet
    defs = rabbitmq_definitions(platform.registry)
    try:
        declared = declare(platform.registry)  # the import broker-setup and up make
        assert declared == [v["name"] for v in defs["vhosts"]]
        mirec = platform.registry.site("mirec")
        queues = platform.mgmt.get(f"/queues/{quote(mirec.vhost, safe='')}")
        assert {q["name"] for q in queues} == {q["name"] for q in defs["queues"] if q["vhost"] == mirec.vhost}
        assert {q["type"] for q in queues} == {"quorum"}
        vhosts = {s.vhost for s in platform.registry.sites} | {
            platform.registry.agencies_vhost,
            platform.registry.transfers_vhost,
        }

        def shovels_running():
            ours = [s for s in platform.mgmt.get("/shovels") if s["vhost"] in vhosts]
            return len(ours) == len(defs["parameters"]) and all(s["state"] == "running" for s in ours) and ours

        wait_until(shovels_running, timeout=30, what="every shovel of the definitions running")
    finally:
        platform.teardown()
