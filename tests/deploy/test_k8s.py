"""deploy/k8s: every overlay rendered by the real kustomize and validated against the Kubernetes schemas.

Core resources are validated with kubernetes-validate (strict: an unknown field fails). The RabbitMQ
operators' resources (rabbitmq.com/v1beta1) have no schema there: they are checked structurally
against the fields of the operators' CRDs (required and allowed ``spec`` keys, enums), and against
what ``kit.topology`` declares, from which they are rendered.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest

from kit.broker import env_name
from kit.definitions import record, user_secret
from kit.registry import load
from tests.deploy.tools import K8S, build

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load(ROOT / "config" / "missions.yaml", environ={})
SITES = [s.code for s in REGISTRY.sites]
OVERLAYS = [*SITES, "platform"]
K8S_VERSION = "1.33.0"

# From the CRDs of the RabbitMQ Messaging Topology Operator and Cluster Operator (rabbitmq.com/v1beta1):
# kind -> (required spec keys, allowed spec keys).
CRD_SPEC = {
    "Vhost": ({"name"}, {"name", "tracing", "defaultQueueType", "tags", "limits", "deletionPolicy"}),
    "User": (set(), {"tags", "importCredentialsSecret"}),
    "Permission": ({"vhost", "permissions"}, {"vhost", "user", "userReference", "permissions"}),
    "Policy": ({"name", "pattern", "definition"}, {"name", "vhost", "pattern", "applyTo", "priority", "definition"}),
    "Exchange": ({"name"}, {"name", "vhost", "type", "durable", "autoDelete", "arguments", "deletionPolicy"}),
    "Queue": (
        {"name"},
        {
            "name",
            "vhost",
            "type",
            "durable",
            "autoDelete",
            "arguments",
            "deleteIfEmpty",
            "deleteIfUnused",
            "deletionPolicy",
        },
    ),
    "Binding": (set(), {"vhost", "source", "destination", "destinationType", "routingKey", "arguments"}),
    "Shovel": (
        {"name", "uriSecret"},
        {
            "name",
            "vhost",
            "uriSecret",
            "ackMode",
            "addForwardHeaders",
            "deleteAfter",
            "destAddForwardHeaders",
            "destAddTimestampHeader",
            "destAddress",
            "destApplicationProperties",
            "destExchange",
            "destExchangeKey",
            "destProperties",
            "destProtocol",
            "destPublishProperties",
            "destQueue",
            "prefetchCount",
            "reconnectDelay",
            "srcAddress",
            "srcDeleteAfter",
            "srcExchange",
            "srcExchangeKey",
            "srcPrefetchCount",
            "srcProtocol",
            "srcQueue",
        },
    ),
    "RabbitmqCluster": (
        set(),
        {
            "replicas",
            "image",
            "imagePullSecrets",
            "service",
            "persistence",
            "resources",
            "affinity",
            "tolerations",
            "rabbitmq",
            "tls",
            "override",
            "skipPostDeploySteps",
            "terminationGracePeriodSeconds",
            "delayStartSeconds",
            "secretBackend",
        },
    ),
}
ENUMS = {
    ("User", "tags"): {"management", "policymaker", "monitoring", "administrator"},
    ("Policy", "applyTo"): {"queues", "exchanges", "all", "classic_queues", "quorum_queues", "streams"},
    ("Binding", "destinationType"): {"queue", "exchange"},
    ("Shovel", "ackMode"): {"on-confirm", "on-publish", "no-ack"},
    ("Queue", "type"): {"quorum", "classic", "stream"},
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def test_rendered_files_are_those_the_registry_gives():
    out = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "render.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr


def test_there_is_one_overlay_per_site_of_the_registry_and_one_for_the_platform():
    assert sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir()) == sorted(OVERLAYS)
    assert len([s for s in REGISTRY.sites if s.is_mission]) == 11


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_and_its_resources_are_valid(overlay):
    docs = build(overlay)
    assert docs
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        assert DNS1123.match(doc["metadata"]["name"]), name
        if doc["apiVersion"].startswith("rabbitmq.com/"):
            check_operator_resource(doc)
            continue
        if doc["apiVersion"] in OTHER_CRDS:
            check_crd_structure(doc)
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(
                f"overlays/{overlay}: {name} is not a valid Kubernetes {K8S_VERSION} resource: "
                f"{exc.message} at {'/'.join(map(str, exc.path))}"
            )
        # Secrets are referenced, never inlined.
        assert doc["kind"] != "Secret", f"overlays/{overlay} inlines {name}"


# Other operators' resources, which kubernetes-validate has no schema for either: apiVersion -> kind ->
# (required spec keys, allowed spec keys), from the CRDs of cert-manager 1.x, CloudNativePG 1.25+ and its
# Barman Cloud plugin 0.x. Their nested fields are checked by the tests that use them.
OTHER_CRDS = {
    "cert-manager.io/v1": {
        "Certificate": (
            {"secretName", "issuerRef"},
            {
                "secretName",
                "issuerRef",
                "dnsNames",
                "commonName",
                "duration",
                "renewBefore",
                "usages",
                "privateKey",
                "ipAddresses",
                "uris",
                "emailAddresses",
                "subject",
                "isCA",
                "secretTemplate",
                "keystores",
                "revisionHistoryLimit",
                "additionalOutputFormats",
                "literalSubject",
                "nameConstraints",
                "encodeUsagesInRequest",
                "otherNames",
                "renewBeforePercentage",
            },
        ),
    },
    "postgresql.cnpg.io/v1": {
        "Cluster": (
            {"storage"},
            {
                "affinity",
                "backup",
                "bootstrap",
                "certificates",
                "description",
                "enablePDB",
                "enableSuperuserAccess",
                "env",
                "envFrom",
                "ephemeralVolumeSource",
                "ephemeralVolumesSizeLimit",
                "externalClusters",
                "failoverDelay",
                "imageCatalogRef",
                "imageName",
                "imagePullPolicy",
                "imagePullSecrets",
                "inheritedMetadata",
                "instances",
                "livenessProbeTimeout",
                "logLevel",
                "managed",
                "maxSyncReplicas",
                "minSyncReplicas",
                "monitoring",
                "nodeMaintenanceWindow",
                "plugins",
                "postgresGID",
                "postgresUID",
                "postgresql",
                "primaryUpdateMethod",
                "primaryUpdateStrategy",
                "priorityClassName",
                "probes",
                "projectedVolumeTemplate",
                "replica",
                "replicationSlots",
                "resources",
                "schedulerName",
                "seccompProfile",
                "serviceAccountTemplate",
                "smartShutdownTimeout",
                "startDelay",
                "stopDelay",
                "storage",
                "superuserSecret",
                "switchoverDelay",
                "tablespaces",
                "topologySpreadConstraints",
                "walStorage",
            },
        ),
        "Database": (
            {"name", "owner", "cluster"},
            {
                "name",
                "owner",
                "cluster",
                "ensure",
                "databaseReclaimPolicy",
                "allowConnections",
                "connectionLimit",
                "encoding",
                "isTemplate",
                "locale",
                "localeProvider",
                "localeCollate",
                "localeCType",
                "icuLocale",
                "icuRules",
                "builtinLocale",
                "collationVersion",
                "tablespace",
                "template",
                "extensions",
                "schemas",
            },
        ),
        "ScheduledBackup": (
            {"schedule", "cluster"},
            {
                "schedule",
                "cluster",
                "backupOwnerReference",
                "immediate",
                "method",
                "online",
                "onlineConfiguration",
                "pluginConfiguration",
                "suspend",
                "target",
            },
        ),
    },
    "barmancloud.cnpg.io/v1": {
        "ObjectStore": ({"configuration"}, {"configuration", "retentionPolicy", "instanceSidecarConfiguration"}),
    },
}
CERT_USAGES = {
    "signing",
    "digital signature",
    "content commitment",
    "key encipherment",
    "key agreement",
    "data encipherment",
    "cert sign",
    "crl sign",
    "encipher only",
    "decipher only",
    "any",
    "server auth",
    "client auth",
    "code signing",
    "email protection",
    "s/mime",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "timestamping",
    "ocsp signing",
    "microsoft sgc",
    "netscape sgc",
}


def check_crd_structure(doc):
    kind, spec = doc["kind"], doc.get("spec", {})
    kinds = OTHER_CRDS[doc["apiVersion"]]
    assert kind in kinds, f"{doc['apiVersion']} {kind} is not a kind this test knows"
    required, allowed = kinds[kind]
    assert required <= spec.keys(), (kind, doc["metadata"]["name"], required - spec.keys())
    assert spec.keys() <= allowed, (kind, doc["metadata"]["name"], spec.keys() - allowed)
    if kind == "Certificate":
        assert set(spec["usages"]) <= CERT_USAGES
        assert spec["issuerRef"]["kind"] in {"Issuer", "ClusterIssuer"} and spec["issuerRef"]["name"]
        assert spec["privateKey"]["algorithm"] in {"RSA", "ECDSA", "Ed25519"}
        for host in spec["dnsNames"]:
            assert DNS1123.match(host), host


def check_operator_resource(doc):
    kind, spec = doc["kind"], doc.get("spec", {})
    assert doc["apiVersion"] == "rabbitmq.com/v1beta1"
    required, allowed = CRD_SPEC[kind]
    if kind != "RabbitmqCluster":
        ref = spec.get("rabbitmqClusterReference")
        assert ref and ref.get("name"), f"{kind}/{doc['metadata']['name']} names no RabbitmqCluster"
        spec = {k: v for k, v in spec.items() if k != "rabbitmqClusterReference"}
    assert required <= spec.keys(), (kind, required - spec.keys())
    assert spec.keys() <= allowed, (kind, spec.keys() - allowed)
    for (k, field), values in ENUMS.items():
        if k == kind and field in spec:
            given = spec[field] if isinstance(spec[field], list) else [spec[field]]
            assert set(given) <= values, (kind, field, given)
    if kind == "Permission":
        assert set(spec["permissions"]) == {"configure", "write", "read"}
        for regex in spec["permissions"].values():
            re.compile(regex)


@pytest.mark.parametrize("code", SITES)
def test_site_overlay_runs_the_registry_services_with_probes_budgets_and_least_privilege(code):
    site = REGISTRY.site(code)
    docs = build(code)
    namespace = f"passerelle-{code}"
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {namespace}
    deployments = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment")}
    assert set(deployments) == set(site.services)
    assert {d["spec"]["scaleTargetRef"]["name"] for d in of_kind(docs, "HorizontalPodAutoscaler")} == set(site.services)
    pdb_selectors = [d["spec"]["selector"]["matchLabels"] for d in of_kind(docs, "PodDisruptionBudget")]
    site_configmap = next(d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].startswith("passerelle-site"))
    assert site_configmap["data"] == {"site": code}

    for service, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        assert pod["metadata"]["labels"]["passerelle.be/site"] == code
        assert {"app.kubernetes.io/name": service} in pdb_selectors
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False and spec["serviceAccountName"] == "passerelle"
        (container,) = spec["containers"]
        assert container["args"][:4] == ["run-site", "$(PASSERELLE_SITE)", "--services", service]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        env = {e["name"]: e for e in container["env"]}
        # The service connects as its own broker user, whose password comes from that user's Secret.
        user = site.broker_user(service)
        assert env[env_name(user)]["valueFrom"]["secretKeyRef"] == {"name": user_secret(user), "key": "password"}
        # The database: the site's CloudNativePG cluster, the password from the Secret its operator generates.
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "postgres-app", "key": "password"}
        assert ":" not in env["PASSERELLE_DATABASE_URL"]["value"].split("@")[0].removeprefix("postgresql://")
        assert not [e for e in container["env"] if "value" in e and re.search("password|secret", e["name"], re.I)]

    (job,) = of_kind(docs, "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate", "--sites", "$(PASSERELLE_SITE)"]


@pytest.mark.parametrize("code", SITES)
def test_site_pods_reach_only_their_broker_and_databases(code):
    policies = {d["metadata"]["name"]: d["spec"] for d in of_kind(build(code), "NetworkPolicy")}
    deny = policies["passerelle-default-deny"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "egress" not in deny and "ingress" not in deny
    egress = policies["passerelle-site"]["egress"]
    destinations = []
    for rule in egress:
        ports = {(p["protocol"], p["port"]) for p in rule["ports"]}
        (peer,) = rule["to"]
        destinations.append(
            (
                peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name"),
                peer["podSelector"]["matchLabels"],
                ports,
            )
        )
    assert destinations == [
        ("kube-system", {"k8s-app": "kube-dns"}, {("UDP", 53), ("TCP", 53)}),
        ("passerelle-platform", {"app.kubernetes.io/name": "passerelle-rabbitmq"}, {("TCP", 5672)}),
        (None, {"passerelle.be/role": "database"}, {("TCP", 5432)}),  # its own namespace only
    ]


def test_intermire_runs_sector_reporting_only():
    docs = build("intermire")
    assert [d["metadata"]["name"] for d in of_kind(docs, "Deployment")] == ["reporting"]


def test_operator_resources_declare_what_broker_setup_declares():
    """The overlays together hold one resource per object kit.topology declares, for one cluster."""
    rec = record(REGISTRY)
    docs = [d for o in OVERLAYS for d in build(o) if d["apiVersion"] == "rabbitmq.com/v1beta1"]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d["spec"])
    admin = REGISTRY.broker["admin_user"]
    assert {(s["vhost"], s["name"]) for s in by_kind["Queue"]} == {(q["vhost"], q["name"]) for q in rec.queues}
    assert {(s["vhost"], s["name"]) for s in by_kind["Exchange"]} == {(e["vhost"], e["name"]) for e in rec.exchanges}
    assert len(by_kind["Binding"]) == len(rec.bindings)
    assert {(s["vhost"], s["user"]) for s in by_kind["Permission"]} == {
        (p["vhost"], p["user"]) for p in rec.permissions if p["user"] != admin
    }
    assert len(by_kind["User"]) == len(rec.users)
    assert {s["name"] for s in by_kind["Vhost"]} == {v["name"] for v in rec.vhosts}
    consumer_queues = [s for s in by_kind["Queue"] if "x-delivery-limit" in s.get("arguments", {})]
    assert consumer_queues and all(s["type"] == "quorum" for s in by_kind["Queue"])
    assert all(s["ackMode"] == "on-confirm" for s in by_kind["Shovel"])
    assert len(by_kind["Shovel"]) == len(rec.shovels)
    # Every Mission's outgoing shovels and queues are in its own overlay, and none carries a URI.
    for code in [s.code for s in REGISTRY.missions]:
        shovels = [d for d in build(code) if d["kind"] == "Shovel"]
        assert {s["spec"]["srcQueue"] for s in shovels} == {
            "outgoing.sector",
            "outgoing.agency",
            "outgoing.transfer",
            "outgoing.feedback",
        }
        assert all("uri" not in str(s["spec"]).lower().replace("urisecret", "") for s in shovels)
    (cluster,) = [d for d in build("platform") if d["kind"] == "RabbitmqCluster"]
    assert cluster["spec"]["replicas"] >= 3
    assert {"rabbitmq_shovel", "rabbitmq_shovel_management"} <= set(cluster["spec"]["rabbitmq"]["additionalPlugins"])
    allowed = set(cluster["metadata"]["annotations"]["rabbitmq.com/topology-allowed-namespaces"].split(","))
    assert allowed == {f"passerelle-{code}" for code in SITES}
