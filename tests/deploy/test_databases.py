"""Databases run by an operator: a CloudNativePG cluster per site, a database per service, backups.

kubernetes-validate has no schema for CloudNativePG's or the Barman Cloud plugin's resources: their
``spec`` keys are checked against the CRDs' fields in test_k8s.py; here, that they fit together (what
each reference names exists in the same overlay) and fit the services (the URL every container gets,
filled in by the registry, names exactly the databases the operator creates). Not validated here: the
nested fields' types against the CRDs' OpenAPI schemas, and the operator's behaviour (no cluster runs).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kit.registry import load
from tests.deploy.tools import K8S, build

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load(ROOT / "config" / "missions.yaml", environ={})
SITES = [s.code for s in REGISTRY.sites]
PLUGIN = "barman-cloud.cloudnative-pg.io"


def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("code", SITES)
def test_each_site_has_a_replicated_cluster_with_a_database_per_service_and_continuous_backup(code):
    docs = build(code)
    (cluster,) = of_kind(docs, "Cluster")
    spec, name = cluster["spec"], cluster["metadata"]["name"]
    assert spec["instances"] >= 3 and spec["enableSuperuserAccess"] is False
    assert spec["affinity"]["enablePodAntiAffinity"] is True
    owner = spec["bootstrap"]["initdb"]["owner"]
    # A database per service of the site, owned by the application user, kept if the resource goes.
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(docs, "Database")}
    assert set(databases) == {f"{code}_{service}" for service in REGISTRY.site(code).services}
    assert spec["bootstrap"]["initdb"]["database"] in databases
    for db in databases.values():
        assert db["owner"] == owner and db["cluster"] == {"name": name} and db["ensure"] == "present"
        assert db["databaseReclaimPolicy"] == "retain"
    # Continuous backup: WAL archived by the Barman Cloud plugin to this site's own object-store path.
    (archiver,) = [p for p in spec["plugins"] if p.get("isWALArchiver")]
    assert archiver["name"] == PLUGIN
    stores = {d["metadata"]["name"]: d["spec"] for d in of_kind(docs, "ObjectStore")}
    store = stores[archiver["parameters"]["barmanObjectName"]]
    assert store["configuration"]["destinationPath"].rstrip("/").endswith("/" + code)
    assert re.fullmatch(r"\d+[dwm]", store["retentionPolicy"])
    assert store["configuration"]["wal"]["compression"] and store["configuration"]["data"]["compression"]
    secrets = {ref["name"] for ref in store["configuration"]["s3Credentials"].values()}
    asked = (K8S / "overlays" / code / "SECRETS.md").read_text()
    assert all(f"`{s}`" in asked for s in secrets)
    # ... and base backups on a schedule, through the same plugin.
    (scheduled,) = of_kind(docs, "ScheduledBackup")
    assert scheduled["spec"]["cluster"] == {"name": name}
    assert scheduled["spec"]["method"] == "plugin" and scheduled["spec"]["pluginConfiguration"]["name"] == PLUGIN
    assert len(scheduled["spec"]["schedule"].split()) == 6  # CloudNativePG's schedule has a seconds field


def test_no_two_sites_back_up_to_the_same_place():
    paths = [
        d["spec"]["configuration"]["destinationPath"] for code in SITES for d in of_kind(build(code), "ObjectStore")
    ]
    assert len(paths) == len(set(paths)) == len(SITES)


@pytest.mark.parametrize("code", SITES)
def test_every_container_reaches_its_own_database_through_the_operator_s_secret(code):
    docs = build(code)
    (cluster,) = of_kind(docs, "Cluster")
    name, owner = cluster["metadata"]["name"], cluster["spec"]["bootstrap"]["initdb"]["owner"]
    databases = {d["spec"]["name"] for d in of_kind(docs, "Database")}
    site = REGISTRY.site(code)
    for doc in of_kind(docs, "Deployment") + of_kind(docs, "Job"):
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": f"{name}-app", "key": "password"}
        url = env["PASSERELLE_DATABASE_URL"]["value"]
        parts = urlsplit(url)
        assert (parts.username, parts.password, parts.hostname) == (owner, None, f"{name}-rw")
        assert parse_qs(parts.query)["sslmode"] == ["require"]
        # The registry fills in the template: each service lands in the database the operator made for it.
        registry = load(ROOT / "config" / "missions.yaml", environ={"PASSERELLE_DATABASE_URL": url})
        services = [doc["metadata"]["name"]] if doc["kind"] == "Deployment" else list(site.services)
        for service in services:
            assert urlsplit(registry.site(code).database_url(service)).path.lstrip("/") in databases
    # The instances carry the label the site's pods may open, and admit those pods on PostgreSQL only.
    labels = cluster["spec"]["inheritedMetadata"]["labels"]
    (site_policy,) = [d["spec"] for d in of_kind(docs, "NetworkPolicy") if d["metadata"]["name"] == "passerelle-site"]
    db_rule = next(r for r in site_policy["egress"] if {"protocol": "TCP", "port": 5432} in r["ports"])
    assert db_rule["to"][0]["podSelector"]["matchLabels"].items() <= labels.items()
    (db_policy,) = [d["spec"] for d in of_kind(docs, "NetworkPolicy") if d["metadata"]["name"] == name]
    assert db_policy["podSelector"] == {"matchLabels": {"cnpg.io/cluster": name}}
    from_sites = [
        r
        for r in db_policy["ingress"]
        if r["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "passerelle"}}}]
    ]
    assert [r["ports"] for r in from_sites] == [[{"protocol": "TCP", "port": 5432}]]
