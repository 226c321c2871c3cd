"""Renders the deployment files that derive from the Mission registry.

    python deploy/render.py          # rewrite them
    python deploy/render.py --check  # exit 1 if a committed file differs (CI: tests/deploy)

What it writes (everything else under deploy/ is written by hand):

* ``deploy/k8s/services/<service>/``: Deployment, PodDisruptionBudget and
  HorizontalPodAutoscaler of each service (the five are alike but for their
  name and sizes, so they are rendered rather than copied by hand);
* ``deploy/k8s/overlays/<site>/``: one overlay per Mission and InterMire
  (namespace, site code, broker credentials' Secret names, the site's
  RabbitMQ Messaging Topology Operator resources from ``kit.definitions``,
  and its CloudNativePG cluster with a database per service and backups);
* ``deploy/k8s/overlays/platform/rabbitmq-topology.yaml``: what is shared
  (``/agencies``, the gateway, shovel and agency users);
* ``deploy/k8s/overlays/platform/rabbitmq-agencies.yaml``: the broker's certificate, its AMQPS entry
  and the NetworkPolicy admitting the agencies' networks (``platform.agencies`` of the registry);
* ``deploy/postgres/initdb/10-databases.sql``: a database per service per site;
* ``deploy/prometheus/prometheus.yml``: the docker-compose scrape configuration;
* ``deploy/grafana/dashboards/*.json``: the Mission and sector dashboards.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# kit.topology imports nameko, which imports eventlet; its deprecation notice is not news here.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from kit.broker import env_name  # noqa: E402
from kit.definitions import CLUSTER, CLUSTER_NAMESPACE, operator_resources, secrets_needed, user_secret  # noqa: E402
from kit.registry import Registry, load  # noqa: E402

DEPLOY = ROOT / "deploy"
OBSERVABILITY_PORT = 9100
# Secrets the processes read from the environment, each from a Kubernetes Secret of its namespace
# (never a committed value): the sector key of kit.pseudonym, given only to the services that pseudonymise
# people (the beneficiary service, at intake) and to no InterMire pod (InterMire only reads pseudonyms).
SECTOR_KEY_ENV = "PASSERELLE_SECTOR_KEY"
SECTOR_KEY_SECRET = {"name": "sector-key", "key": "key"}
SECTOR_KEY_SERVICES = {"beneficiary"}
HEADER = "# Rendered by deploy/render.py from config/missions.yaml and kit.topology: edit those, then re-run it.\n"

# Sizing per service: (cpu request, memory request, memory limit, min replicas, max replicas).
# matching and reporting do CPU-heavy work off the hub, so they get more room and scale further.
SIZES = {
    "beneficiary": ("100m", "192Mi", "512Mi", 2, 4),
    "employer": ("100m", "192Mi", "512Mi", 2, 4),
    "convention": ("100m", "192Mi", "512Mi", 2, 4),
    "matching": ("250m", "256Mi", "768Mi", 2, 6),
    "reporting": ("250m", "256Mi", "768Mi", 2, 6),
}


def namespace(code: str) -> str:
    return f"passerelle-{code}"


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (inline patches) as literal blocks, so that they read as YAML."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def dump(docs) -> str:
    return HEADER + yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


# -- Databases: a CloudNativePG cluster per site ----------------------------------------------------------
# Each site's namespace runs one PostgreSQL cluster (three instances, streaming replication, automatic
# failover) with a database per service, and archives its WAL and base backups continuously to an object
# store through the Barman Cloud plugin. The services log in as the cluster's application user, whose
# password the operator generates into the Secret <cluster>-app; the URL itself holds no password
# (libpq reads PGPASSWORD), so none is ever in a ConfigMap, a log line or an error message.
DB_CLUSTER = "postgres"
DB_OWNER = "passerelle"
DB_IMAGE = "ghcr.io/cloudnative-pg/postgresql:16.6"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
BACKUP_STORE = "backups"
BACKUP_SECRET = "backup-object-store"
BACKUP_BUCKET = "s3://passerelle-backups"  # one prefix per site below it
BACKUP_RETENTION = "30d"
DATABASE_URL = f"postgresql://{DB_OWNER}@{DB_CLUSTER}-rw:5432/{{site}}_{{service}}?sslmode=require"


def database_env() -> list[dict]:
    """The environment a service or migration container needs for its database (the same in every site)."""
    return [
        {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{DB_CLUSTER}-app", "key": "password"}}},
        {"name": "PASSERELLE_DATABASE_URL", "value": DATABASE_URL},
    ]


def database_resources(registry: Registry, code: str) -> list[dict]:
    site = registry.site(code)
    databases = [f"{code}_{service}" for service in site.services]
    labels = {"cnpg.io/cluster": DB_CLUSTER}
    store = {
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": {"name": BACKUP_STORE},
        "spec": {
            "retentionPolicy": BACKUP_RETENTION,
            "configuration": {
                "destinationPath": f"{BACKUP_BUCKET}/{code}",
                "s3Credentials": {
                    "accessKeyId": {"name": BACKUP_SECRET, "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {"name": BACKUP_SECRET, "key": "ACCESS_SECRET_KEY"},
                },
                "wal": {"compression": "gzip", "encryption": "AES256", "maxParallel": 2},
                "data": {"compression": "gzip", "encryption": "AES256", "jobs": 2},
            },
        },
    }
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": DB_CLUSTER},
        "spec": {
            "instances": 3,
            "imageName": DB_IMAGE,
            "primaryUpdateStrategy": "unsupervised",
            "enableSuperuserAccess": False,
            # The site's pods may open only pods with this label (base/networkpolicy.yaml).
            "inheritedMetadata": {"labels": {"passerelle.be/role": "database"}},
            "bootstrap": {"initdb": {"database": databases[0], "owner": DB_OWNER}},
            "postgresql": {
                "parameters": {
                    "max_connections": "200",
                    "shared_buffers": "256MB",
                    "log_min_duration_statement": "1000",
                }
            },
            "storage": {"size": "20Gi"},
            "walStorage": {"size": "10Gi"},
            "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
            "affinity": {
                "enablePodAntiAffinity": True,
                "topologyKey": "kubernetes.io/hostname",
                "podAntiAffinityType": "required",
            },
            "plugins": [
                {"name": BARMAN_PLUGIN, "isWALArchiver": True, "parameters": {"barmanObjectName": BACKUP_STORE}}
            ],
        },
    }
    dbs = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": {"name": name.replace("_", "-")},
            "spec": {
                "name": name,
                "owner": DB_OWNER,
                "cluster": {"name": DB_CLUSTER},
                "ensure": "present",
                "databaseReclaimPolicy": "retain",
            },
        }
        for name in databases
    ]
    backup = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "ScheduledBackup",
        "metadata": {"name": f"{DB_CLUSTER}-daily"},
        "spec": {
            "schedule": "0 0 2 * * *",
            "immediate": True,
            "backupOwnerReference": "self",
            "cluster": {"name": DB_CLUSTER},
            "method": "plugin",
            "pluginConfiguration": {"name": BARMAN_PLUGIN},
        },
    }
    # The instances: the site's pods and each other on PostgreSQL, the operator on its status port,
    # Prometheus on the exporter's; out to the Kubernetes API (the instance manager), the object store
    # (HTTPS) and each other. Neither the API server's nor the object store's address is known here.
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "postgres"},
        "spec": {
            "podSelector": {"matchLabels": labels},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "passerelle"}}}],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                },
                {
                    "from": [{"podSelector": {"matchLabels": labels}}],
                    "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 8000}],
                },
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cnpg-system"}}}],
                    "ports": [{"protocol": "TCP", "port": 8000}, {"protocol": "TCP", "port": 5432}],
                },
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                    "ports": [{"protocol": "TCP", "port": 9187}],
                },
            ],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [{"podSelector": {"matchLabels": labels}}],
                    "ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "TCP", "port": 8000}],
                },
                {"ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]},
            ],
        },
    }
    return [store, cluster, *dbs, backup, policy]


# -- Kubernetes ------------------------------------------------------------
def deployment(service: str) -> dict:
    cpu, mem, mem_limit, _, _ = SIZES[service]
    labels = {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "service"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": service, "labels": labels},
        "spec": {
            "replicas": SIZES[service][3],
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {"app.kubernetes.io/name": service}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(OBSERVABILITY_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "serviceAccountName": "passerelle",
                    "automountServiceAccountToken": False,
                    # SIGTERM stops the containers: in-flight workers finish, the relay's batch is
                    # confirmed or left pending for the next replica.
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": service}},
                        }
                    ],
                    "containers": [
                        {
                            "name": service,
                            "image": "passerelle",
                            "args": [
                                "run-site",
                                "$(PASSERELLE_SITE)",
                                "--services",
                                service,
                                "--observability-port",
                                str(OBSERVABILITY_PORT),
                            ],
                            "envFrom": [{"configMapRef": {"name": "passerelle"}}],
                            "env": [
                                # Replaced per site by the overlay: the broker user is <site>.<service>.
                                {
                                    "name": "PASSERELLE_BROKER_PASSWORD__SITE_" + service.upper(),
                                    "valueFrom": {
                                        "secretKeyRef": {"name": f"broker-site-{service}", "key": "password"}
                                    },
                                },
                                {
                                    "name": "PASSERELLE_SITE",
                                    "valueFrom": {"configMapKeyRef": {"name": "passerelle-site", "key": "site"}},
                                },
                                *database_env(),
                            ],
                            "ports": [{"name": "metrics", "containerPort": OBSERVABILITY_PORT, "protocol": "TCP"}],
                            "startupProbe": {
                                "httpGet": {"path": "/health/live", "port": "metrics"},
                                "periodSeconds": 2,
                                "failureThreshold": 60,
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/health/live", "port": "metrics"},
                                "periodSeconds": 10,
                                "timeoutSeconds": 3,
                                "failureThreshold": 3,
                            },
                            "readinessProbe": {
                                "httpGet": {"path": "/health/ready", "port": "metrics"},
                                "periodSeconds": 5,
                                "timeoutSeconds": 3,
                                "failureThreshold": 2,
                            },
                            "resources": {"requests": {"cpu": cpu, "memory": mem}, "limits": {"memory": mem_limit}},
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def pdb(service: str) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": service},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": service}}},
    }


def hpa(service: str) -> dict:
    _, _, _, low, high = SIZES[service]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": service},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def service_files(service: str) -> dict[str, str]:
    return {
        "kustomization.yaml": dump(
            [
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "resources": ["deployment.yaml", "pdb.yaml", "hpa.yaml"],
                }
            ]
        ),
        "deployment.yaml": dump([deployment(service)]),
        "pdb.yaml": dump([pdb(service)]),
        "hpa.yaml": dump([hpa(service)]),
    }


def site_overlay(registry: Registry, code: str, topology: list[dict], secrets: list[str]) -> dict[str, str]:
    site = registry.site(code)
    patches = []
    for service in site.services:
        user = site.broker_user(service)
        ops = [
            {
                "op": "replace",
                "path": "/spec/template/spec/containers/0/env/0",
                "value": {
                    "name": env_name(user),
                    "valueFrom": {"secretKeyRef": {"name": user_secret(user), "key": "password"}},
                },
            }
        ]
        if site.is_mission and service in SECTOR_KEY_SERVICES:
            ops.append(
                {
                    "op": "add",
                    "path": "/spec/template/spec/containers/0/env/-",
                    "value": {"name": SECTOR_KEY_ENV, "valueFrom": {"secretKeyRef": dict(SECTOR_KEY_SECRET)}},
                }
            )
        patches.append(
            {"target": {"kind": "Deployment", "name": service}, "patch": yaml.safe_dump(ops, sort_keys=False)}
        )
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": namespace(code),
        "labels": [{"pairs": {"passerelle.be/site": code}, "includeSelectors": False, "includeTemplates": True}],
        "commonAnnotations": {"passerelle.be/site-name": site.name},
        "resources": [
            "namespace.yaml",
            "../../base",
            *[f"../../services/{s}" for s in site.services],
            "database.yaml",
            "rabbitmq-topology.yaml",
        ],
        "configMapGenerator": [{"name": "passerelle-site", "behavior": "merge", "literals": [f"site={code}"]}],
        "patches": patches,
    }
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace(code),
            "labels": {"passerelle.be/site": code, "app.kubernetes.io/part-of": "passerelle"},
        },
    }
    readme = (
        f"# {site.name} ({code})\n\n"
        f"Apply with `kubectl apply -k deploy/k8s/overlays/{code}` once `overlays/platform` runs.\n\n"
        f"Needs the CloudNativePG operator and its Barman Cloud plugin (deploy/README.md). Secrets to create "
        f"in namespace `{namespace(code)}` before applying (never committed; the database password is "
        f"generated by the operator into `{DB_CLUSTER}-app`):\n\n"
        f"- `{BACKUP_SECRET}`: keys `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`, the object store account "
        f"that receives this site's WAL and base backups under `{BACKUP_BUCKET}/{code}` (database.yaml)\n"
        + (
            f"- `{SECTOR_KEY_SECRET['name']}`: key `{SECTOR_KEY_SECRET['key']}`, the sector key of "
            "`kit/pseudonym.py` (the same in every Mission, so that a person followed by two Missions "
            "has one pseudonym; only the beneficiary service reads it, InterMire never holds it)\n"
            if site.is_mission
            else ""
        )
        + "".join(
            f"- `{name}`: keys `username` and `password` (the broker user's; the service reads "
            "`password`, the Topology Operator imports both)\n"
            if name.startswith("broker-")
            else f"- `{name}`: keys `srcUri` and `destUri` (AMQP URIs with the shovel user's password)\n"
            for name in secrets
        )
    )
    return {
        "kustomization.yaml": dump([kustomization]),
        "namespace.yaml": dump([ns]),
        "database.yaml": dump(database_resources(registry, code)),
        "rabbitmq-topology.yaml": dump(topology),
        "SECRETS.md": readme,
    }


# -- Transport: AMQPS for the agencies ----------------------------------------------------------------------
BROKER_TLS_SECRET = "passerelle-rabbitmq-tls"
CLUSTER_ISSUER = "passerelle-public"  # a cert-manager ClusterIssuer (ACME), created with cert-manager
AMQPS_PORT = 5671


def agency_transport(registry: Registry) -> list[dict]:
    """The broker's certificate, its AMQPS entry for the agencies and the NetworkPolicy that admits them.

    The agencies' users are held to ``/agencies`` by their permissions (``kit.topology``: read on their own
    queue, nothing else, no other vhost); a NetworkPolicy sees addresses and ports, not vhosts, so this one
    admits only the agencies' networks, only on the AMQPS port.
    """
    access = registry.agency_access
    hosts = sorted({server["host"] for server in access["servers"].values()})
    networks = [cidr for agency in sorted(access["networks"]) for cidr in access["networks"][agency]]
    selector = {"matchLabels": {"app.kubernetes.io/name": CLUSTER}}
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": BROKER_TLS_SECRET},
        "spec": {
            "secretName": BROKER_TLS_SECRET,
            "dnsNames": hosts,
            "issuerRef": {"kind": "ClusterIssuer", "name": CLUSTER_ISSUER, "group": "cert-manager.io"},
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["server auth", "digital signature", "key encipherment"],
            "duration": "2160h",
            "renewBefore": "720h",
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": f"{CLUSTER}-agencies",
            "labels": {"app.kubernetes.io/name": CLUSTER, "app.kubernetes.io/component": "agencies"},
        },
        "spec": {
            "type": "LoadBalancer",
            # Local keeps the client's address, so that the NetworkPolicy below can judge it.
            "externalTrafficPolicy": "Local",
            "loadBalancerSourceRanges": networks,
            "selector": {"app.kubernetes.io/name": CLUSTER},
            "ports": [{"name": "amqps", "port": AMQPS_PORT, "targetPort": AMQPS_PORT, "protocol": "TCP"}],
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "rabbitmq-agencies"},
        "spec": {
            "podSelector": selector,
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"ipBlock": {"cidr": cidr}} for cidr in networks],
                    "ports": [{"protocol": "TCP", "port": AMQPS_PORT}],
                }
            ],
        },
    }
    return [certificate, service, policy]


def k8s_files(registry: Registry) -> dict[str, str]:
    files = {}
    services = {s for site in registry.sites for s in site.services}
    for service in sorted(services):
        for name, text in service_files(service).items():
            files[f"k8s/services/{service}/{name}"] = text
    resources = operator_resources(registry)
    secrets = secrets_needed(registry)
    for site in registry.sites:
        for name, text in site_overlay(
            registry, site.code, resources.get(site.code, []), secrets.get(site.code, [])
        ).items():
            files[f"k8s/overlays/{site.code}/{name}"] = text
    files["k8s/overlays/platform/rabbitmq-topology.yaml"] = dump(resources.get("platform", []))
    files["k8s/overlays/platform/rabbitmq-agencies.yaml"] = dump(agency_transport(registry))
    allowed = ",".join(namespace(s.code) for s in registry.sites)
    files["k8s/overlays/platform/topology-namespaces.yaml"] = dump(
        [
            {
                "apiVersion": "rabbitmq.com/v1beta1",
                "kind": "RabbitmqCluster",
                "metadata": {"name": CLUSTER, "annotations": {"rabbitmq.com/topology-allowed-namespaces": allowed}},
            }
        ]
    )
    files["k8s/overlays/platform/SECRETS.md"] = (
        f"# Platform ({CLUSTER_NAMESPACE})\n\nSecrets to create in namespace `{CLUSTER_NAMESPACE}` "
        "before applying (never committed):\n\n"
        + "".join(f"- `{name}`: keys `username` and `password`\n" for name in secrets.get("platform", []))
        + f"- `{SECTOR_KEY_SECRET['name']}`: key `{SECTOR_KEY_SECRET['key']}`, the sector key (the gateway names "
        "the subject of its audit lines with it; the same value as in the Missions' namespaces)\n"
        "- `gateway-oidc`: keys `issuer`, `audience` and `jwks-url`, this environment's OIDC provider "
        "(gateway/README.md: the Keycloak realm and client)\n"
        "- `gateway-ratelimit`: keys `password` (the rate-limit store's) and `url` "
        "(`redis://:<password>@gateway-ratelimit:6379/0`), the store every gateway replica shares\n"
        "- `web-sessions`: keys `password` (the front office's session store's) and `url` "
        "(`redis://:<password>@web-sessions:6379/0`), the sessions every front-office replica shares (a store of its "
        "own: it holds bearer tokens)\n"
        "- `web-oidc`: keys `issuer`, `client-id`, `client-secret` and `redirect-uri` "
        "(`https://app.passerelle.intermire.be/connexion/retour`), the front office's confidential client at the "
        "OIDC provider the gateway trusts (web/README.md)\n"
        "\nAnd, cluster-wide, cert-manager with a ClusterIssuer named `" + CLUSTER_ISSUER + "` (ACME; DNS-01 for "
        "the broker's AMQPS host names, which no HTTP route serves): it issues `gateway-tls` and `web-tls` for the "
        "Ingresses and `" + BROKER_TLS_SECRET + "` for the broker.\n"
    )
    return files


# -- PostgreSQL, Prometheus, Grafana (docker-compose) -----------------------
def postgres_sql(registry: Registry) -> str:
    lines = [
        "-- Rendered by deploy/render.py from config/missions.yaml: a database per service per site.",
        "-- Run once by the postgres image at its first start (docker-entrypoint-initdb.d).",
    ]
    for site in registry.sites:
        for service in site.services:
            lines.append(f'CREATE DATABASE "{site.code}_{service}" OWNER passerelle;')
    return "\n".join(lines) + "\n"


def prometheus_compose(registry: Registry) -> str:
    config = {
        "global": {
            "scrape_interval": "15s",
            "evaluation_interval": "15s",
            "external_labels": {"platform": "passerelle"},
        },
        "rule_files": ["alerts.yml"],
        "scrape_configs": [
            {
                # One target per site process; a site not started (a compose profile) has no DNS name
                # and so no target, while a started one that stops answering is down.
                "job_name": "passerelle-sites",
                "dns_sd_configs": [
                    {
                        "names": [f"site-{s.code}" for s in registry.sites],
                        "type": "A",
                        "port": OBSERVABILITY_PORT,
                        "refresh_interval": "30s",
                    }
                ],
                "relabel_configs": [
                    {
                        "source_labels": ["__meta_dns_name"],
                        "regex": "site-(.+)",
                        "target_label": "site",
                        "replacement": "$1",
                    }
                ],
            },
            {"job_name": "rabbitmq", "static_configs": [{"targets": ["rabbitmq:15692"]}]},
            {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        ],
    }
    return HEADER + yaml.safe_dump(config, sort_keys=False)


def _panel(pid, title, exprs, x, y, w=12, h=8, unit="short", kind="timeseries"):
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {
                "refId": chr(65 + i),
                "expr": e,
                "legendFormat": legend,
                "datasource": {"type": "prometheus", "uid": "prometheus"},
            }
            for i, (e, legend) in enumerate(exprs)
        ],
    }


def dashboard(uid: str, title: str, panels: list, variables: list) -> dict:
    return {
        "uid": uid,
        "title": title,
        "tags": ["passerelle"],
        "timezone": "Europe/Brussels",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables},
        "panels": panels,
        "editable": False,
    }


def _site_variable(registry: Registry, multi: bool) -> dict:
    return {
        "name": "site",
        "label": "Mission",
        "type": "custom",
        "multi": multi,
        "includeAll": multi,
        "query": ",".join(s.code for s in registry.missions),
        "current": {"text": registry.missions[0].code, "value": registry.missions[0].code},
        "options": [],
    }


def dashboards(registry: Registry) -> dict[str, dict]:
    s = 'site="$site"'
    mission = dashboard(
        "passerelle-mission",
        "Passerelle — Mission",
        [
            _panel(
                1,
                "Services up",
                [(f'sum by (service) (up{{job=~"passerelle.*",{s}}})', "{{service}}")],
                0,
                0,
                w=6,
                h=4,
                kind="stat",
            ),
            _panel(
                2,
                "Outbox lag (oldest unconfirmed event)",
                [(f"max by (service) (passerelle_outbox_lag_seconds{{{s}}})", "{{service}}")],
                6,
                0,
                w=9,
                h=8,
                unit="s",
            ),
            _panel(
                3,
                "Outbox backlog",
                [(f"sum by (service) (passerelle_outbox_backlog{{{s}}})", "{{service}}")],
                15,
                0,
                w=9,
                h=8,
            ),
            _panel(
                4,
                "RPC rate by outcome",
                [
                    (
                        f'sum by (service, outcome) (rate(passerelle_entrypoint_seconds_count{{kind="rpc",{s}}}[5m]))',
                        "{{service}} {{outcome}}",
                    )
                ],
                0,
                8,
                unit="reqps",
            ),
            _panel(
                5,
                "RPC p99 latency",
                [
                    (
                        f"histogram_quantile(0.99, sum by (service, le) "
                        f'(rate(passerelle_entrypoint_seconds_bucket{{kind="rpc",{s}}}[5m])))',
                        "{{service}}",
                    )
                ],
                12,
                8,
                unit="s",
            ),
            _panel(
                6,
                "Events published by audience",
                [
                    (
                        f"sum by (service, audience) (rate(passerelle_events_published_total{{{s}}}[5m]))",
                        "{{service}} → {{audience}}",
                    )
                ],
                0,
                16,
                unit="ops",
            ),
            _panel(
                7,
                "Events consumed by outcome",
                [
                    (
                        f"sum by (handler, outcome) (rate(passerelle_events_consumed_total{{{s}}}[5m]))",
                        "{{handler}} {{outcome}}",
                    )
                ],
                12,
                16,
                unit="ops",
            ),
            _panel(
                8,
                "Dead-lettered events (1h)",
                [(f"sum by (handler) (increase(passerelle_events_dead_lettered_total{{{s}}}[1h]))", "{{handler}}")],
                0,
                24,
                unit="short",
            ),
            _panel(
                9,
                "Outbox publish failures by reason",
                [
                    (
                        f"sum by (service, reason) (rate(passerelle_outbox_publish_failures_total{{{s}}}[5m]))",
                        "{{service}} {{reason}}",
                    )
                ],
                12,
                24,
                unit="ops",
            ),
            _panel(
                10,
                "Database connections in use",
                [(f"sum by (service) (passerelle_db_pool_checked_out{{{s}}})", "{{service}}")],
                0,
                32,
            ),
            _panel(
                11,
                "Duplicates skipped by the inbox",
                [(f"sum by (handler) (rate(passerelle_events_duplicate_total{{{s}}}[5m]))", "{{handler}}")],
                12,
                32,
                unit="ops",
            ),
        ],
        [_site_variable(registry, multi=False)],
    )
    sector = dashboard(
        "passerelle-sector",
        "Passerelle — Sector (all Missions and InterMire)",
        [
            _panel(
                1,
                "Site processes up",
                [('sum by (site) (up{job=~"passerelle.*"})', "{{site}}")],
                0,
                0,
                w=24,
                h=5,
                kind="stat",
            ),
            _panel(
                2,
                "Outbox lag by Mission",
                [("max by (site) (passerelle_outbox_lag_seconds)", "{{site}}")],
                0,
                5,
                unit="s",
            ),
            _panel(
                3,
                "Sector events published by Mission",
                [('sum by (site) (rate(passerelle_events_published_total{audience="sector"}[5m]))', "{{site}}")],
                12,
                5,
                unit="ops",
            ),
            _panel(
                4,
                "Sector events consumed by InterMire",
                [
                    (
                        'sum by (handler, outcome) (rate(passerelle_events_consumed_total{site="intermire"}[5m]))',
                        "{{handler}} {{outcome}}",
                    )
                ],
                0,
                13,
                unit="ops",
            ),
            _panel(
                5,
                "Dead-lettered events by site (1h)",
                [("sum by (site) (increase(passerelle_events_dead_lettered_total[1h]))", "{{site}}")],
                12,
                13,
            ),
            _panel(
                6,
                "RPC error ratio by Mission",
                [
                    (
                        'sum by (site) (rate(passerelle_entrypoint_seconds_count{kind="rpc",outcome="error"}[5m]))'
                        ' / clamp_min(sum by (site) (rate(passerelle_entrypoint_seconds_count{kind="rpc"}[5m])), 1e-9)',
                        "{{site}}",
                    )
                ],
                0,
                21,
                unit="percentunit",
            ),
            _panel(
                7,
                "RPC p99 latency by Mission",
                [
                    (
                        "histogram_quantile(0.99, sum by (site, le) "
                        '(rate(passerelle_entrypoint_seconds_bucket{kind="rpc"}[5m])))',
                        "{{site}}",
                    )
                ],
                12,
                21,
                unit="s",
            ),
        ],
        [],
    )
    return {"mission.json": mission, "sector.json": sector}


def all_files(registry: Registry) -> dict[str, str]:
    files = k8s_files(registry)
    files["postgres/initdb/10-databases.sql"] = postgres_sql(registry)
    files["prometheus/prometheus.yml"] = prometheus_compose(registry)
    for name, board in dashboards(registry).items():
        files[f"grafana/dashboards/{name}"] = json.dumps(board, indent=2, ensure_ascii=False) + "\n"
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    args = parser.parse_args(argv)
    # Rendered from the registry as committed, not from this shell's PASSERELLE_* overrides.
    registry = load(ROOT / "config" / "missions.yaml", environ={})
    stale = []
    for rel, text in sorted(all_files(registry).items()):
        path = DEPLOY / rel
        if path.exists() and path.read_text() == text:
            continue
        stale.append(rel)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print("stale (run 'python deploy/render.py'): " + ", ".join(stale), file=sys.stderr)
        return 1
    print(f"{'checked' if args.check else 'rendered'}: {len(stale)} file(s) {'stale' if args.check else 'written'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
