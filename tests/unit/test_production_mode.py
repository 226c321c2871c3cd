"""Outside development mode no built-in development secret is used: a missing one stops the process at start.

Unit tests on the configuration functions, then the CLI verbs as real processes (``run-site``,
``run-gateway``, ``token``, ``seed``, ``up``), each started without ``PASSERELLE_ENV=development`` and
without one setting, answering exit 2 and one line that names it. The processes are given a broker on
port 1 and a data folder of their own, so that none of them could reach the machine's broker even if a
check were missing.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gateway.auth import AuthConfig, mint
from kit import mode, pseudonym, registry
from kit.broker import env_name, password_for
from kit.config import ConfigError
from tests.harness import ROOT

PRODUCTION_IDP = {
    "PASSERELLE_JWT_ISSUER": "https://sso.example.org/realms/mire",
    "PASSERELLE_JWT_AUDIENCE": "passerelle",
    "PASSERELLE_JWT_JWKS_URL": "https://sso.example.org/realms/mire/protocol/openid-connect/certs",
}


@pytest.fixture
def production(monkeypatch):
    """This process outside development mode, with none of the secrets set."""
    for name in list(os.environ):
        if name == mode.ENV or name.startswith(("PASSERELLE_JWT_", "PASSERELLE_BROKER_", "PASSERELLE_SECTOR_KEY")):
            monkeypatch.delenv(name)
    monkeypatch.setattr(pseudonym, "_forbidden", None)


def test_development_mode_is_only_the_explicit_setting():
    assert mode.is_development({"PASSERELLE_ENV": "development"})
    assert mode.is_development({"PASSERELLE_ENV": " Development "})
    for env in ({}, {"PASSERELLE_ENV": ""}, {"PASSERELLE_ENV": "production"}, {"PASSERELLE_ENV": "dev"}):
        assert not mode.is_development(env)


def test_sector_key_outside_development(production, monkeypatch):
    with pytest.raises(ConfigError, match=r"^PASSERELLE_SECTOR_KEY is not set"):
        pseudonym.pseudonym("85073003328")
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", "a-key-from-a-kubernetes-secret")
    given = pseudonym.pseudonym("85.07.30-033.28")
    monkeypatch.setenv("PASSERELLE_ENV", "development")
    monkeypatch.delenv("PASSERELLE_SECTOR_KEY")
    assert pseudonym.pseudonym("85073003328") != given  # the development key is another key


def test_the_key_id_names_the_key_and_nothing_more(monkeypatch):
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", "first-key-of-the-sector")
    first = pseudonym.key_id()
    assert first == pseudonym.key_id() and len(first) == 12 and "first" not in first
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", "second-key-of-the-sector")
    assert pseudonym.key_id() != first


def test_a_process_that_forbids_the_key_never_hashes(monkeypatch):
    monkeypatch.setattr(pseudonym, "_forbidden", None)
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", "a-key-that-was-given-by-mistake")
    pseudonym.forbid_key("the InterMire site reads pseudonyms only")
    with pytest.raises(pseudonym.KeyForbidden, match="InterMire"):
        pseudonym.pseudonym("85073003328")


def test_the_intermire_site_drops_a_key_given_by_mistake_and_forbids_it(monkeypatch):
    from kit.topology import load_service_class
    from runtime.site_runner import check_secrets

    monkeypatch.setattr(pseudonym, "_forbidden", None)
    monkeypatch.setenv("PASSERELLE_SECTOR_KEY", "a-key-that-was-given-by-mistake")
    site = registry.load().site("intermire")
    check_secrets(site, {name: load_service_class(path) for name, path in site.services.items()})
    assert "PASSERELLE_SECTOR_KEY" not in os.environ
    with pytest.raises(pseudonym.KeyForbidden):
        pseudonym.sector_key()


def test_gateway_token_settings_outside_development():
    for missing in PRODUCTION_IDP:
        env = {k: v for k, v in PRODUCTION_IDP.items() if k != missing}
        expected = "PASSERELLE_JWT_JWKS_URL (or PASSERELLE_JWT_PUBLIC_KEY_FILE)" if "JWKS" in missing else missing
        with pytest.raises(ConfigError) as caught:
            AuthConfig.from_env(env)
        assert str(caught.value).startswith(expected + " is not set")
    # A shared HS256 secret is not an identity provider, even when explicitly given.
    with pytest.raises(ConfigError, match="PASSERELLE_JWT_JWKS_URL"):
        AuthConfig.from_env({**PRODUCTION_IDP, "PASSERELLE_JWT_JWKS_URL": "", "PASSERELLE_JWT_SECRET": "s" * 40})
    config = AuthConfig.from_env(PRODUCTION_IDP)
    assert (config.algorithm, config.issuer, config.jwks_url) == (
        "RS256",
        PRODUCTION_IDP["PASSERELLE_JWT_ISSUER"],
        PRODUCTION_IDP["PASSERELLE_JWT_JWKS_URL"],
    )
    with pytest.raises(ConfigError, match="cannot be read"):
        AuthConfig.from_env(
            {**PRODUCTION_IDP, "PASSERELLE_JWT_JWKS_URL": "", "PASSERELLE_JWT_PUBLIC_KEY_FILE": "/nonexistent/idp.pem"}
        )
    dev = AuthConfig.from_env({"PASSERELLE_ENV": "development"})
    assert dev.algorithm == "HS256" and dev.issuer == "passerelle-dev"


def test_mint_refuses_outside_development():
    with pytest.raises(ConfigError, match="development tokens only"):
        mint("anne", "mirec", ["counsellor"], environ={"PASSERELLE_JWT_SECRET": "x" * 40})
    assert mint("anne", "mirec", ["counsellor"], environ={"PASSERELLE_ENV": "development"}).count(".") == 2


def test_broker_passwords_outside_development(production, monkeypatch):
    user = "mirec.beneficiary"
    with pytest.raises(ConfigError) as caught:
        password_for(user)
    assert str(caught.value).startswith(
        "PASSERELLE_BROKER_PASSWORD__MIREC_BENEFICIARY is not set, nor PASSERELLE_BROKER_SECRET"
    )
    derived = password_for(user, "an-operators-own-secret")
    assert len(derived) == 32 and password_for(user, "an-operators-own-secret") == derived
    reg = registry.load(environ={"PASSERELLE_BROKER_SECRET": "an-operators-own-secret"})
    assert reg.password_for(user) == derived
    monkeypatch.setenv(env_name(user), "given-by-a-secret")
    assert password_for(user) == "given-by-a-secret"
    with pytest.raises(ConfigError, match="at least 8"):
        registry.load(environ={"PASSERELLE_BROKER_SECRET": "short"})


# -- the verbs, as processes --------------------------------------------------------------------------------


def run_cli(tmp_path, *argv, **settings):
    """``passerelle argv`` outside development mode with only ``settings`` among the secrets."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != mode.ENV and not k.startswith(("PASSERELLE_JWT_", "PASSERELLE_BROKER_", "PASSERELLE_SECTOR_KEY"))
    }
    env.update(
        PASSERELLE_BROKER_PORT="1",
        PASSERELLE_BROKER_MANAGEMENT_URL="http://127.0.0.1:1",
        PASSERELLE_DATA_DIR=str(tmp_path / "var"),
        PASSERELLE_REGISTRY="",
    )
    env.update(settings)
    proc = subprocess.run(
        [sys.executable, "-m", "runtime.cli", *argv], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )
    return proc.returncode, proc.stderr.strip().splitlines()


def one_line(result) -> str:
    code, lines = result
    assert code == 2 and len(lines) == 1, (code, lines)
    return lines[0]


BROKER = {"PASSERELLE_BROKER_SECRET": "an-operators-own-secret"}
KEY = {"PASSERELLE_SECTOR_KEY": "a-key-from-a-kubernetes-secret"}


@pytest.mark.slow  # starts the CLI as a process
def test_run_site_without_each_secret(tmp_path):
    line = one_line(run_cli(tmp_path, "run-site", "mirec"))
    assert line.startswith("passerelle: PASSERELLE_BROKER_PASSWORD__MIREC_") and "PASSERELLE_BROKER_SECRET" in line
    line = one_line(run_cli(tmp_path, "run-site", "mirec", **BROKER))
    assert line.startswith("passerelle: PASSERELLE_SECTOR_KEY is not set")
    # A Mission's pod that runs no service pseudonymising people needs no key either.
    line = one_line(run_cli(tmp_path, "run-site", "mirec", "--services", "employer", **BROKER))
    assert "SECTOR_KEY" not in line and "is not migrated" in line
    # With every secret the process goes on to its next check (its database here).
    line = one_line(run_cli(tmp_path, "run-site", "mirec", **BROKER, **KEY))
    assert "is not migrated" in line


@pytest.mark.slow  # starts the CLI as a process
def test_the_intermire_site_needs_no_sector_key(tmp_path):
    line = one_line(run_cli(tmp_path, "run-site", "intermire", **BROKER))
    assert "SECTOR_KEY" not in line and "is not migrated" in line


@pytest.mark.slow  # starts the CLI as a process
def test_run_gateway_without_each_secret(tmp_path):
    settings = {}
    for name in [*PRODUCTION_IDP, "PASSERELLE_SECTOR_KEY", "PASSERELLE_BROKER_SECRET"]:
        line = one_line(run_cli(tmp_path, "run-gateway", **settings))
        wanted = "PASSERELLE_JWT_JWKS_URL (or" if name.endswith("JWKS_URL") else name
        if name == "PASSERELLE_BROKER_SECRET":
            wanted = "PASSERELLE_BROKER_PASSWORD__GATEWAY"
        assert line.startswith(f"passerelle: {wanted}"), (name, line)
        settings[name] = {**PRODUCTION_IDP, **KEY, **BROKER}[name]


@pytest.mark.slow  # starts the CLI as a process
def test_token_and_seed_and_up_outside_development(tmp_path):
    line = one_line(run_cli(tmp_path, "token", "--sub", "a", "--mission", "mirec", "--roles", "director"))
    assert "development tokens only" in line
    line = one_line(run_cli(tmp_path, "seed"))
    assert line.startswith("passerelle: PASSERELLE_BROKER_PASSWORD__GATEWAY")
    assert one_line(run_cli(tmp_path, "up")).startswith("passerelle: PASSERELLE_BROKER_PASSWORD__")
    assert one_line(run_cli(tmp_path, "up", **BROKER)).startswith("passerelle: PASSERELLE_SECTOR_KEY is not set")
    line = one_line(run_cli(tmp_path, "up", **BROKER, **KEY))
    assert line.startswith("passerelle: PASSERELLE_JWT_ISSUER is not set")
    assert not (tmp_path / "var" / "run").exists()  # nothing was started
