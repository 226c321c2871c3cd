"""Configuration substitution and the Mission registry."""

import pytest
import yaml

from kit import registry
from kit.config import ConfigError, substitute


def test_substitution_takes_environment_then_default_and_refuses_missing():
    env = {"HOST": "rabbit.internal"}
    assert substitute("${HOST:127.0.0.1}:${PORT:5672}", env) == "rabbit.internal:5672"
    assert substitute("${URL:sqlite:///{data_dir}/{site}.sqlite}", {}) == "sqlite:///{data_dir}/{site}.sqlite"
    with pytest.raises(ConfigError, match="SECRET is not set"):
        substitute("${SECRET}", {})


def test_default_registry_lists_eleven_missions_and_intermire():
    reg = registry.load()
    assert len(reg.missions) == 11
    assert "Charleroi" in reg.site("mirec").name
    assert reg.intermire.vhost == "/intermire"
    vhosts = [s.vhost for s in reg.sites]
    assert len(set(vhosts)) == 12 and "/mission-mirec" in vhosts
    urls = {s.database_url(name) for s in reg.sites for name in s.services}
    assert len(urls) == 11 * 5 + 1, "one database per service per site"


def test_each_service_connects_as_its_own_user_on_its_sites_vhost():
    reg = registry.load(environ={"PASSERELLE_BROKER_SECRET": "a-test-secret"})
    mirec = reg.site("mirec")
    uri = mirec.amqp_uri("beneficiary")
    assert uri.startswith("amqp://mirec.beneficiary:") and uri.endswith("/%2Fmission-mirec")
    assert mirec.amqp_uri("employer") != uri


def test_explicit_password_overrides_derived_one(monkeypatch):
    monkeypatch.setenv("PASSERELLE_BROKER_PASSWORD__MIREC_BENEFICIARY", "from-the-vault")
    assert ":from-the-vault@" in registry.load().site("mirec").amqp_uri("beneficiary")


def test_unknown_site_names_the_known_ones():
    with pytest.raises(ConfigError, match="unknown site 'mirex'.*mirec"):
        registry.load().site("mirex")


def _load_changed(tmp_path, change):
    doc = yaml.safe_load(registry.DEFAULT_PATH.read_text())
    change(doc)
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError) as raised:
        registry.load(path)
    return str(raised.value)


def test_invalid_registry_names_the_field(tmp_path):
    message = _load_changed(tmp_path, lambda doc: doc["platform"]["broker"].update(port=99999))
    assert "platform.broker.port" in message


def test_duplicate_site_codes_are_refused(tmp_path):
    message = _load_changed(tmp_path, lambda doc: doc["sites"].append(dict(doc["sites"][0])))
    assert "duplicate site codes: mirebw" in message
