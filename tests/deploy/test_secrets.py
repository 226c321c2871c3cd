"""No development secret reaches a deployment: the rendered manifests and docker-compose.yml.

The development defaults are read from the code that holds them (``kit/pseudonym.py``,
``gateway/auth.py``, ``config/missions.yaml``), with the values known today as a floor, so a renamed
constant cannot empty the check. Every deployed process runs outside development mode
(``kit.mode``), so a secret that a manifest forgets stops it at start; these tests show that none is
forgotten: each setting comes from a Kubernetes Secret (``secretKeyRef``) or a compose secret, the
Secrets a manifest references are the ones its ``SECRETS.md`` asks for, and InterMire never gets the
sector key.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kit.registry import load
from tests.deploy.tools import K8S, build

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load(ROOT / "config" / "missions.yaml", environ={})
MISSIONS = [s.code for s in REGISTRY.missions]
OVERLAYS = [*(s.code for s in REGISTRY.sites), "platform"]
SECTOR_KEY = "PASSERELLE_SECTOR_KEY"
GATEWAY_SECRETS = {"PASSERELLE_JWT_ISSUER", "PASSERELLE_JWT_AUDIENCE", "PASSERELLE_JWT_JWKS_URL", SECTOR_KEY}
# Known today; the scan below adds whatever the code holds by then.
KNOWN_DEFAULTS = {
    "embedded-development-sector-key",
    "embedded-development-jwt-secret-change-me",
    "passerelle-dev",
    "embedded-development-secret",
}


def development_defaults() -> set[str]:
    """Every string constant of the modules holding development secrets that looks like one, and the
    registry's defaults of its secret and password settings."""
    found = set(KNOWN_DEFAULTS)
    for rel in ("kit/pseudonym.py", "gateway/auth.py", "kit/broker.py"):
        tree = ast.parse((ROOT / rel).read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and " " not in node.value
                and re.search(r"dev|change-?me|secret", node.value, re.I)
                and len(node.value) >= 8
                and re.search(r"[^A-Za-z]", node.value)
                and not node.value.startswith("PASSERELLE_")
            ):
                found.add(node.value)
    registry = (ROOT / "config" / "missions.yaml").read_text()
    for default in re.findall(r"^\s*\w*(?:secret|password|key)\w*:\s*\$\{\w+:([^}]*)\}", registry, re.M):
        if default:
            found.add(default)
    return found


def test_the_scan_finds_the_defaults_in_the_code():
    # Guards the guard: the known values are still in the code (when one goes, update KNOWN_DEFAULTS).
    defaults = development_defaults()
    assert "embedded-development-secret" in defaults and "guest" in defaults
    code = "".join((ROOT / rel).read_text() for rel in ("kit/pseudonym.py", "gateway/auth.py"))
    assert any(d in code for d in defaults)


def env_of(container: dict, configmaps: dict[str, dict]) -> dict[str, dict]:
    """A container's environment: name -> {"value": …} or {"valueFrom": …}, its envFrom ConfigMaps first."""
    env = {}
    for source in container.get("envFrom", []):
        data = configmaps[source["configMapRef"]["name"]]
        env.update({k: {"value": v} for k, v in data.items()})
    env.update({e["name"]: e for e in container.get("env", [])})
    return env


def containers(docs):
    for doc in docs:
        if doc["kind"] in {"Deployment", "Job", "StatefulSet"}:
            for c in doc["spec"]["template"]["spec"]["containers"]:
                yield doc, c


def configmaps(docs):
    return {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_holds_no_development_default_and_runs_in_production_mode(overlay):
    docs = build(overlay)
    text = yaml.safe_dump_all(docs)
    leaked = sorted(d for d in development_defaults() if len(d) >= 8 and d in text)
    assert not leaked, f"overlays/{overlay} contains development defaults: {leaked}"
    maps = configmaps(docs)
    checked = 0
    for doc, container in containers(docs):
        if not container["image"].startswith("passerelle"):
            continue
        env = env_of(container, maps)
        where = f"overlays/{overlay} {doc['kind']}/{doc['metadata']['name']}"
        assert env.get("PASSERELLE_ENV", {}).get("value") == "production", where
        for name, e in env.items():
            # A secret setting is never a literal value; nor is any value a development default.
            if re.search(r"SECRET|PASSWORD|_KEY$|JWT_", name):
                assert "valueFrom" in e and "secretKeyRef" in e["valueFrom"], f"{where}: {name} is not from a Secret"
            assert e.get("value") not in development_defaults(), f"{where}: {name}"
        checked += 1
    assert checked


def referenced_secrets(docs) -> set[str]:
    names = set()
    for _, container in containers(docs):
        for e in container.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_an_overlay_references_is_one_its_secrets_md_asks_for(overlay):
    docs = build(overlay)
    asked = set(re.findall(r"^- `([a-z0-9-]+)`", (K8S / "overlays" / overlay / "SECRETS.md").read_text(), re.M))
    generated = {d["metadata"]["name"] + "-app" for d in docs if d["kind"] == "Cluster"}  # by CloudNativePG
    missing = referenced_secrets(docs) - asked - generated
    assert not missing, f"overlays/{overlay} references Secrets its SECRETS.md does not list: {sorted(missing)}"


@pytest.mark.parametrize("code", MISSIONS)
def test_a_mission_s_beneficiary_service_and_only_it_gets_the_sector_key_from_a_secret(code):
    docs = build(code)
    deployments = {d["metadata"]["name"]: c for d, c in containers(docs) if d["kind"] == "Deployment"}
    assert set(deployments) == set(REGISTRY.site(code).services)
    for service, container in deployments.items():
        env = {e["name"]: e for e in container["env"]}
        if service == "beneficiary":  # it pseudonymises people at intake (kit.pseudonym)
            assert env[SECTOR_KEY]["valueFrom"]["secretKeyRef"] == {"name": "sector-key", "key": "key"}
        else:
            assert SECTOR_KEY not in env, f"{code}/{service} holds the sector key it does not use"


def test_the_intermire_overlay_has_no_sector_key_at_all():
    docs = build("intermire")
    text = yaml.safe_dump_all(docs)
    assert SECTOR_KEY not in text and "sector-key" not in text
    assert "sector-key" not in (K8S / "overlays" / "intermire" / "SECRETS.md").read_text()
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"} == {"reporting"}


def test_the_gateway_reads_its_identity_provider_and_the_sector_key_from_secrets():
    docs = build("platform")
    (gateway,) = [c for d, c in containers(docs) if d["metadata"]["name"] == "gateway"]
    env = env_of(gateway, configmaps(docs))
    for name in GATEWAY_SECRETS:
        assert "secretKeyRef" in env[name]["valueFrom"], name
    assert env["PASSERELLE_JWT_JWKS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "gateway-oidc"


# -- docker-compose ----------------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def passerelle_containers(spec):
    return {name: s for name, s in spec["services"].items() if s.get("image", "").startswith("passerelle")}


def secret_targets(service: dict) -> dict[str, str]:
    out = {}
    for entry in service.get("secrets", []):
        entry = {"source": entry, "target": entry} if isinstance(entry, str) else entry
        out[entry.get("target", entry["source"])] = entry["source"]
    return out


def test_compose_holds_no_development_default_and_runs_in_production_mode():
    text = (ROOT / "docker-compose.yml").read_text() + (ROOT / ".env.example").read_text()
    leaked = sorted(d for d in development_defaults() if len(d) >= 8 and d in text)
    assert not leaked, leaked
    assert "development-only" not in text and not re.search(r"\$\{\w*(SECRET|PASSWORD|KEY)\w*:-", text)
    spec = compose()
    for name, service in passerelle_containers(spec).items():
        env = service.get("environment", {})
        assert env.get("PASSERELLE_ENV") == "production", name
        assert not [k for k in env if re.search(r"SECRET|PASSWORD|SECTOR_KEY", k)], f"{name} has a secret inline"


def test_compose_secrets_come_from_uncommitted_files_and_reach_who_needs_them():
    spec = compose()
    declared = spec["secrets"]
    for name, source in declared.items():
        assert set(source) == {"file"} and source["file"].startswith("./secrets/"), name
    ignored = subprocess.run(
        ["git", "check-ignore", "secrets/PASSERELLE_SECTOR_KEY", ".env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ignored.stdout.split() == ["secrets/PASSERELLE_SECTOR_KEY", ".env"], "secrets/ and .env must be ignored"
    services = passerelle_containers(spec)
    for name, service in services.items():
        targets = secret_targets(service)
        assert set(targets.values()) <= set(declared), name
        code = name.removeprefix("site-")
        if name.startswith("site-"):
            assert {"PASSERELLE_BROKER_SECRET", "PGPASSWORD"} <= set(targets), name
            assert (SECTOR_KEY in targets) == (code in MISSIONS), f"{name}: sector key only in Missions"
    gateway = services["gateway"]
    assert SECTOR_KEY in secret_targets(gateway)
    for name in GATEWAY_SECRETS - {SECTOR_KEY}:
        # Required from .env: no default, compose stops with the message when unset.
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", gateway["environment"][name]), name
    definitions = secret_targets(services["broker-definitions"])
    assert {
        "PASSERELLE_BROKER_PASSWORD__FOREM",
        "PASSERELLE_BROKER_PASSWORD__ACTIRIS",
        "PASSERELLE_BROKER_ADMIN_PASSWORD",
    } <= set(definitions)
    # The other images read their secrets through their own *_FILE settings.
    assert spec["services"]["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert spec["services"]["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"].startswith("/run/secrets/")
    # .env.example names every secret file and every required setting.
    example = (ROOT / ".env.example").read_text()
    for source in declared.values():
        assert source["file"].removeprefix("./") in example
    for name in GATEWAY_SECRETS - {SECTOR_KEY}:
        assert re.search(rf"^{name}=", example, re.M)


def test_the_image_entrypoint_turns_secret_files_into_variables(tmp_path):
    secrets = tmp_path / "run-secrets"
    secrets.mkdir()
    (secrets / "PASSERELLE_SECTOR_KEY").write_text("k3y with spaces\n")
    (secrets / "postgres_password").write_text("ignored: not a variable name")
    (secrets / "PGPASSWORD").write_text("from-file")
    env = {"PATH": os.environ["PATH"], "PASSERELLE_SECRETS_DIR": str(secrets), "PGPASSWORD": "already-set"}
    out = subprocess.run(
        [
            str(ROOT / "deploy" / "docker" / "secrets-env"),
            "python3",
            "-c",
            "import json, os; print(json.dumps(dict(os.environ)))",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["PASSERELLE_SECTOR_KEY"] == "k3y with spaces"
    assert seen["PGPASSWORD"] == "already-set"  # a variable already set wins
    assert "postgres_password" not in seen
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["/app/deploy/docker/secrets-env", "passerelle"]' in dockerfile
