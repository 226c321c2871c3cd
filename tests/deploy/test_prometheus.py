"""Prometheus: the alert rules pass promtool, and a real Prometheus scrapes a running platform.

The last test starts the Debian ``prometheus`` binary with a scrape configuration that targets the
site processes of a throwaway platform (``tests.harness.TestPlatform``: real RabbitMQ, real databases,
real ``passerelle run-site`` processes), loads deploy/prometheus/alerts.yml, and asks Prometheus' HTTP
API whether every target is up, the business metrics are there, and every Grafana panel's query runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from runtime.demo import DemoFactory
from tests.deploy.tools import binary
from tests.harness import free_port, terminate, wait_until

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"


def promtool(*args) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=PROMETHEUS)


def test_alert_rules_pass_promtool_check_and_their_unit_tests():
    check = promtool("check", "rules", "alerts.yml")
    assert check.returncode == 0, check.stdout + check.stderr
    unit = promtool("test", "rules", "alerts.test.yml")
    assert unit.returncode == 0, unit.stdout + unit.stderr
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    exprs = " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])
    for metric in (
        "passerelle_outbox_lag_seconds",
        "passerelle_events_dead_lettered_total",
        "passerelle_entrypoint_seconds_count",
        "passerelle_entrypoint_seconds_bucket",
        "absent(up",
    ):
        assert metric in exprs


def test_compose_scrape_configuration_passes_promtool():
    check = promtool("check", "config", "prometheus.yml")
    assert check.returncode == 0, check.stdout + check.stderr


def dashboard_queries(site: str) -> list[str]:
    queries = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                queries.append(target["expr"].replace("$site", site))
    return queries


@pytest.mark.integration
def test_real_prometheus_scrapes_every_site_and_finds_the_business_metrics(platform, tmp_path):
    prometheus = binary("prometheus")
    sites = {code: platform.start(code) for code in ("mirec", "intermire")}
    # One real RPC, so that the entrypoint histogram has samples.
    created = platform.rpc("mirec", "beneficiary", "register", DemoFactory(seed=11).beneficiary("50000"))
    assert created["id"]

    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS / "alerts.yml")],
        "scrape_configs": [
            {
                "job_name": "passerelle-sites",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{s.port}"], "labels": {"site": code}} for code, s in sites.items()
                ],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api/v1"

    def query(expr: str) -> list:
        reply = requests.get(f"{api}/query", params={"query": expr}, timeout=5).json()
        assert reply["status"] == "success", (expr, reply)
        return reply["data"]["result"]

    try:

        def targets_up():
            if proc.poll() is not None:
                raise AssertionError(f"prometheus exited: {(tmp_path / 'prometheus.log').read_text()[-2000:]}")
            try:
                active = requests.get(f"{api}/targets", timeout=5).json()["data"]["activeTargets"]
            except (requests.RequestException, ValueError, KeyError):
                return False
            return len(active) == len(sites) and all(t["health"] == "up" for t in active) and active

        active = wait_until(targets_up, timeout=30, what="every target scraped and up")
        assert {t["labels"]["site"] for t in active} == set(sites)
        assert {r["metric"]["site"] for r in query('up{job="passerelle-sites"} == 1')} == set(sites)

        backlog = query("passerelle_outbox_backlog")
        assert {(r["metric"]["site"], r["metric"]["service"]) for r in backlog} >= {
            ("mirec", s) for s in ("beneficiary", "employer", "convention", "matching", "reporting")
        } | {("intermire", "reporting")}
        assert query("passerelle_outbox_lag_seconds")
        calls = query(
            'passerelle_entrypoint_seconds_count{site="mirec",service="beneficiary",'
            'entrypoint="register",kind="rpc",outcome="ok"}'
        )
        assert calls and float(calls[0]["value"][1]) >= 1

        # The alert rules are loaded and evaluate without error on real series; none fires on a
        # healthy platform.
        def rules_evaluated():
            groups = requests.get(f"{api}/rules", timeout=5).json()["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return (
                rules
                if rules
                and all(
                    r.get("lastEvaluation", "").startswith("20") and not r["lastEvaluation"].startswith("0001")
                    for r in rules
                )
                else False
            )

        rules = wait_until(rules_evaluated, timeout=15, what="every rule evaluated")
        assert all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]
        firing = [r["name"] for r in rules if r["type"] == "alerting" and r["state"] == "firing"]
        assert firing == []

        # Every Grafana panel's query is valid PromQL on these series.
        for expr in dashboard_queries("mirec"):
            query(expr)
    finally:
        terminate(proc, 10)
        log.close()
        time.sleep(0)


def test_rules_and_dashboards_use_only_metrics_the_platform_exports():
    from prometheus_client import REGISTRY as DEFAULT

    import kit.metrics  # noqa: F401  (registers the platform's metrics)

    exported = set()
    for family in DEFAULT.collect():
        if family.name.startswith("passerelle_"):
            suffixes = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",)}.get(family.type, ("",))
            exported |= {family.name + s for s in suffixes}
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    texts = [r["expr"] for g in rules["groups"] for r in g["rules"]] + dashboard_queries("mirec")
    used = {m for text in texts for m in re.findall(r"\bpasserelle_[a-z_]+", text)}
    assert used and used <= exported, used - exported
    boards = {json.loads(p.read_text())["uid"] for p in DASHBOARDS.glob("*.json")}
    assert boards == {"passerelle-mission", "passerelle-sector", "passerelle-business"}


def test_the_business_dashboard_shows_the_flow_of_the_missions():
    board = json.loads((DASHBOARDS / "business.json").read_text())
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    for shown in (
        'passerelle_events_published_total{audience="internal"',  # events per Mission per day
        'entrypoint="submit_period"',  # submissions
        'entrypoint="approve_submission"',
        "passerelle_events_dead_lettered_total",  # dead letters
        'passerelle_events_published_total{audience="agency"}',  # agency delivery
        "passerelle_due_items",
    ):
        assert shown in exprs
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    for p in board["panels"]:
        assert p["title"] and p["datasource"]["uid"] == "prometheus"
