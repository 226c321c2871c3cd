"""Transport: HTTPS for the gateway, AMQPS for the agencies, and who may open which port.

The rendered platform overlay is read as kustomize builds it (every core resource is also validated
against the Kubernetes schemas by test_k8s.py): the gateway's Ingress terminates TLS with a certificate
cert-manager issues; the broker has a TLS listener whose certificate names the hosts the AsyncAPI
document publishes; a NetworkPolicy admits the agencies' networks to the AMQPS port and nothing else,
while their users' permissions hold them to ``/agencies`` (a NetworkPolicy sees no vhost).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from kit.config import ConfigError
from kit.definitions import record
from kit.registry import load
from tests.deploy.tools import build

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = load(ROOT / "config" / "missions.yaml", environ={})
ACCESS = REGISTRY.agency_access
AGENCIES = {"forem", "actiris"}


def one(docs, kind, name):
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def test_the_gateway_is_reached_only_over_https_through_the_ingress():
    docs = build("platform")
    ingress = one(docs, "Ingress", "gateway")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"] == "passerelle-public"
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    spec = ingress["spec"]
    (tls,) = spec["tls"]
    assert tls["secretName"] and {r["host"] for r in spec["rules"]} == set(tls["hosts"])
    service = one(docs, "Service", "gateway")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"  # nothing but the Ingress exposes it
    port_names = {p["name"] for p in service["spec"]["ports"]}
    for rule in spec["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}
            assert path["backend"]["service"]["port"]["name"] in port_names
    # The gateway's pods admit only the ingress controller's namespace, on their HTTP port.
    policy = one(docs, "NetworkPolicy", "gateway")["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert [r["from"] for r in policy["ingress"]] == [
        [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    ]


def test_the_broker_listens_on_amqps_with_a_certificate_for_the_published_hosts():
    docs = build("platform")
    (cluster,) = [d for d in docs if d["kind"] == "RabbitmqCluster"]
    secret = cluster["spec"]["tls"]["secretName"]
    cert = one(docs, "Certificate", secret)["spec"]
    assert cert["secretName"] == secret and cert["issuerRef"]["kind"] == "ClusterIssuer"
    published = {s["host"] for s in ACCESS["servers"].values()}
    assert published and set(cert["dnsNames"]) == published
    assert "server auth" in cert["usages"]
    config = cluster["spec"]["rabbitmq"]["additionalConfig"]
    assert "ssl_options.versions.1 = tlsv1.3" in config and "tlsv1.1" not in config and "tlsv1 " not in config
    # The agencies' entry: AMQPS only, from their networks only, with their address kept for the policy.
    entry = one(docs, "Service", "passerelle-rabbitmq-agencies")["spec"]
    assert entry["type"] == "LoadBalancer" and entry["externalTrafficPolicy"] == "Local"
    assert [(p["port"], p["targetPort"]) for p in entry["ports"]] == [(5671, 5671)]
    assert set(entry["loadBalancerSourceRanges"]) == {c for cidrs in ACCESS["networks"].values() for c in cidrs}


def test_only_the_agencies_networks_reach_the_broker_from_outside_and_only_its_amqps_port():
    docs = build("platform")
    networks = {c for cidrs in ACCESS["networks"].values() for c in cidrs}
    assert set(ACCESS["networks"]) == AGENCIES and networks
    internal = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "0.0.0.0/8")]
    for cidr in networks:
        net = ipaddress.ip_network(cidr)
        # An agency connects from its own addresses: never "anywhere", never the cluster's own ranges.
        assert net.prefixlen >= 16 and not any(net.overlaps(i) for i in internal), cidr
    broker = {"matchLabels": {"app.kubernetes.io/name": "passerelle-rabbitmq"}}
    broker_policies = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy" and d["spec"]["podSelector"] == broker]
    amqps_sources, other_rules = set(), []
    for spec in broker_policies:
        for rule in spec["ingress"]:
            ports = {(p["protocol"], p["port"]) for p in rule["ports"]}
            blocks = {peer["ipBlock"]["cidr"] for peer in rule["from"] if "ipBlock" in peer}
            if blocks:
                assert ports == {("TCP", 5671)}, f"ipBlocks {blocks} reach {ports}"
                assert all(set(peer) == {"ipBlock"} and "except" not in peer["ipBlock"] for peer in rule["from"])
                amqps_sources |= blocks
            else:
                other_rules.append(rule)
                assert ("TCP", 5671) not in ports or all(
                    "namespaceSelector" in p or "podSelector" in p for p in rule["from"]
                )
    assert amqps_sources == networks
    # Plain AMQP only from Passerelle's own namespaces and the broker's peers.
    for rule in other_rules:
        for peer in rule["from"]:
            assert "ipBlock" not in peer


def test_agency_users_are_held_to_their_own_queues_and_inbound_exchange_of_the_agencies_vhost():
    rec = record(REGISTRY)
    for agency in AGENCIES:
        grants = [p for p in rec.permissions if p["user"] == agency]
        assert [p["vhost"] for p in grants] == [REGISTRY.agencies_vhost], agency
        (grant,) = grants
        # Publish to its own inbound exchange only (what it tells the Missions), declare nothing.
        assert grant["configure"] == "^$" and grant["write"] == f"^{agency}\\.inbound$"
        assert agency in grant["read"] and not any(a in grant["read"] for a in AGENCIES - {agency})
    # Their passwords are their own Secrets, imported by the Topology Operator.
    users = {d["metadata"]["name"]: d["spec"] for d in build("platform") if d["kind"] == "User"}
    for agency in AGENCIES:
        (spec,) = [s for s in users.values() if s["importCredentialsSecret"]["name"] == f"broker-{agency}"]
        assert spec.get("tags", []) == []


def test_the_asyncapi_servers_are_the_registry_s_amqps_endpoints():
    doc = yaml.safe_load((ROOT / "contracts" / "asyncapi.yaml").read_text())
    servers = doc["servers"]
    assert set(servers) == set(ACCESS["servers"])
    for name, server in ACCESS["servers"].items():
        assert servers[name]["host"] == f"{server['host']}:{server['port']}"
        assert servers[name]["protocol"] == "amqps" and servers[name]["pathname"] == "/agencies"
        assert "example" not in server["host"]
    for channel in doc["channels"].values():
        assert {ref["$ref"] for ref in channel["servers"]} == {f"#/servers/{name}" for name in servers}


def test_the_registry_refuses_an_agency_network_that_is_not_a_cidr_block(tmp_path):
    text = (ROOT / "config" / "missions.yaml").read_text().replace("- 192.0.2.0/24", "- anywhere")
    (tmp_path / "missions.yaml").write_text(text)
    with pytest.raises(ConfigError, match="CIDR"):
        load(tmp_path / "missions.yaml", environ={})


def test_every_gateway_replica_shares_one_rate_limit_store_only_the_gateways_reach():
    docs = build("platform")
    gateway = one(docs, "Deployment", "gateway")
    assert gateway["spec"]["replicas"] > 1  # the reason the limit must be shared
    (container,) = gateway["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PASSERELLE_RATE_LIMIT_URL"]["valueFrom"]["secretKeyRef"] == {"name": "gateway-ratelimit", "key": "url"}
    store = one(docs, "Deployment", "gateway-ratelimit")
    (redis,) = store["spec"]["template"]["spec"]["containers"]
    assert "--requirepass" in redis["args"] and "$(REDIS_PASSWORD)" in redis["args"]
    assert one(docs, "Service", "gateway-ratelimit")["spec"]["ports"][0]["port"] == 6379
    policy = one(docs, "NetworkPolicy", "gateway-ratelimit")["spec"]
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}],
            "ports": [{"protocol": "TCP", "port": 6379}],
        }
    ]
    egress = one(docs, "NetworkPolicy", "gateway")["spec"]["egress"]
    assert any(
        rule["to"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway-ratelimit"}}}]
        for rule in egress
    )
    secrets = (ROOT / "deploy" / "k8s" / "overlays" / "platform" / "SECRETS.md").read_text()
    assert "`gateway-ratelimit`: keys `password`" in secrets
