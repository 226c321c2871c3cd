"""deploy/k8s: the nightly retention job (``passerelle retention``) in the platform overlay.

One run at a time, in production mode, its broker password from a Secret, and a network policy that lets
it open the broker's AMQP port and DNS only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.deploy.tools import build

ROOT = Path(__file__).resolve().parents[2]


def one(docs, kind, name):
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def test_the_platform_runs_the_retention_verb_nightly_one_run_at_a_time():
    docs = build("platform")
    job = one(docs, "CronJob", "retention")
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    assert job["spec"]["schedule"] == "30 2 * * *" and job["spec"]["timeZone"] == "Europe/Brussels"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"].startswith("passerelle") and container["args"] == ["retention"]
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    (source,) = container["envFrom"]
    assert maps[source["configMapRef"]["name"]]["PASSERELLE_ENV"] == "production"
    (password,) = container["env"]
    assert password["name"] == "PASSERELLE_BROKER_PASSWORD__GATEWAY"
    assert password["valueFrom"]["secretKeyRef"]["name"] == "broker-gateway"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_retention_job_opens_the_broker_and_dns_only():
    policy = one(build("platform"), "NetworkPolicy", "retention")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "retention"}
    assert policy["ingress"] == []
    ports = sorted((p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"])
    assert ports == [("TCP", 53), ("TCP", 5672), ("UDP", 53)]


def test_the_verb_the_job_runs_exists():
    run = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "retention", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert "--dry-run" in run.stdout
