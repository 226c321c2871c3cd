"""A misconfigured process stops at start with one clear line naming the problem."""

import subprocess
import sys

import pytest
import yaml

from kit.migrations import upgrade
from tests.harness import ROOT, TestPlatform

pytestmark = pytest.mark.integration


def run_cli(registry_path, *argv):
    proc = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "--registry", str(registry_path), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    return proc.returncode, proc.stderr.strip().splitlines()


@pytest.fixture
def bare(tmp_path):
    """A registry whose databases and broker topology do not exist yet."""
    p = TestPlatform(tmp_path, missions=("mirec",), intermire=False)
    yield p
    p.teardown()


def rewrite(platform, **changes):
    doc = platform.document
    for key, value in changes.items():
        doc["platform"][key] = value
    platform.registry_path.write_text(yaml.safe_dump(doc, allow_unicode=True))


def test_unknown_site(bare):
    code, lines = run_cli(bare.registry_path, "run-site", "nowhere")
    assert code == 2 and len(lines) == 1
    assert "unknown site 'nowhere'" in lines[0] and "mirec" in lines[0]


def test_database_not_migrated(bare):
    code, lines = run_cli(bare.registry_path, "run-site", "mirec")
    assert code == 2 and len(lines) == 1
    assert "is not migrated" in lines[0] and "passerelle migrate" in lines[0]


def test_unreachable_database(bare):
    rewrite(bare, database_url="postgresql://postgres@127.0.0.1:1/{site}_{service}")
    code, lines = run_cli(bare.registry_path, "run-site", "mirec")
    assert code == 2 and len(lines) == 1
    assert "unreachable" in lines[0] and "127.0.0.1:1" in lines[0]


def test_missing_vhost(bare):
    for service, path in bare.registry.site("mirec").services.items():
        upgrade(path.split(".", 1)[0], bare.registry.site("mirec").database_url(service))
    code, lines = run_cli(bare.registry_path, "run-site", "mirec")
    assert code == 2 and len(lines) == 1
    assert "refuses" in lines[0] and "broker-setup" in lines[0]


def test_invalid_registry(bare):
    doc = bare.document
    doc["sites"][0]["code"] = "MIREC!"
    bare.registry_path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    code, lines = run_cli(bare.registry_path, "run-site", "mirec")
    assert code == 2 and len(lines) == 1
    assert "invalid registry" in lines[0] and "sites.0.code" in lines[0]


def test_broker_not_answering_says_how_to_start_one(bare):
    doc = bare.document
    doc["platform"]["broker"]["port"] = 1
    bare.registry_path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    code, lines = run_cli(bare.registry_path, "up")
    assert code == 2 and len(lines) == 1
    assert "nothing answers at amqp://" in lines[0] and "rabbitmq-server -detached" in lines[0]
    assert "PASSERELLE_BROKER_EMBEDDED=true" in lines[0]  # or let up run a node of its own
