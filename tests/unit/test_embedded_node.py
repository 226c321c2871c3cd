"""The embedded node's files, without booting it: its configuration, its plugins, and the topology it loads at boot."""

from __future__ import annotations

import json
import stat

from kit.definitions import node_definitions
from kit.migrations import at_head, upgrade
from kit.registry import load
from runtime.rabbit_node import PLUGINS, SHOVEL_ONLY, Node, plugin_closure
from tests.harness import ROOT


def registry(environ=None):
    return load(ROOT / "config" / "missions.yaml", environ={"PASSERELLE_ENV": "development", **(environ or {})})


def embedded(tmp_path, environ=None) -> Node:
    reg = registry({"PASSERELLE_DATA_DIR": str(tmp_path), **(environ or {})})
    return reg, Node.for_broker(reg.broker, tmp_path / "broker")


def test_the_embedded_node_runs_the_shovels_only_and_loads_its_topology_at_boot(tmp_path):
    _, node = embedded(tmp_path)
    node._write_config()
    assert (node.dir / "enabled_plugins").read_text() == f"[{','.join(SHOVEL_ONLY)}].\n"
    config = (node.dir / "rabbitmq.config").read_text()
    assert f'{{local_path, "{node.dir / "definitions.json"}"}}' in config
    assert "{skip_if_unchanged, true}" in config
    assert f'{{tcp_listeners, [{{"127.0.0.1", {node.port}}}]}}' in config
    assert "rabbitmq_management" not in config
    assert node.env()["RABBITMQ_CONFIG_FILE"].endswith("rabbitmq.config")


def test_the_node_starts_its_own_distribution_on_loopback_and_its_schedulers_do_not_spin(tmp_path):
    _, node = embedded(tmp_path)
    args = node.server_env()["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"].split()
    # Its name and distribution port as the prelaunch would have set them, so that it finds them running.
    assert args[args.index("-sname") + 1] == node.name == node.env()["RABBITMQ_NODENAME"]
    kernel = {args[i + 1]: args[i + 2] for i, arg in enumerate(args) if arg == "-kernel"}
    assert kernel == {
        "inet_dist_listen_min": str(node.dist_port),
        "inet_dist_listen_max": str(node.dist_port),
        "inet_dist_use_interface": "{127,0,0,1}",
    }
    assert all(args[args.index(flag) + 1] == "none" for flag in ("+sbwt", "+sbwtdcpu", "+sbwtdio"))
    # rabbitmqctl runs a VM of its own: none of this reaches it.
    assert "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS" not in node.env()


def test_the_node_sees_the_plugins_it_runs_and_what_they_need_and_no_other(tmp_path):
    def app(name, needs, key="applications"):
        (tmp_path / f"{name}-1.0" / "ebin").mkdir(parents=True)
        deps = ", ".join(needs)
        (tmp_path / f"{name}-1.0" / "ebin" / f"{name}.app").write_text(
            f"{{application, '{name}', [{{vsn, \"1.0\"}}, {{{key}, [kernel, stdlib{', ' if deps else ''}{deps}]}}]}}.\n"
        )

    app("rabbit", ["rabbit_common", "ra"])
    app("rabbit_common", [])
    app("ra", ["aten"])
    app("aten", [])
    app("rabbitmq_prelaunch", ["cuttlefish"], key="included_applications")
    app("cuttlefish", [])
    app("rabbitmq_shovel", ["amqp_client"])
    app("amqp_client", [])
    app("rabbitmq_mqtt", ["ranch"])
    app("ranch", [])
    (tmp_path / "README").write_text("not an application")
    names = [folder.name.split("-")[0] for folder in plugin_closure(tmp_path, ("rabbitmq_shovel",))]
    assert names == [
        "amqp_client",
        "aten",
        "cuttlefish",
        "ra",
        "rabbit",
        "rabbit_common",
        "rabbitmq_prelaunch",
        "rabbitmq_shovel",
    ]
    assert "rabbitmq_mqtt" in [f.name.split("-")[0] for f in plugin_closure(tmp_path, ("rabbitmq_mqtt",))]


def test_the_management_ui_and_the_tests_nodes_keep_the_management_plugins(tmp_path):
    _, node = embedded(tmp_path, {"PASSERELLE_BROKER_MANAGEMENT_UI": "true"})
    node._write_config()
    assert (node.dir / "enabled_plugins").read_text() == f"[{','.join(PLUGINS)}].\n"
    assert f"{{port, {node.management_port}}}" in (node.dir / "rabbitmq.config").read_text()
    private = Node(tmp_path / "private", "p@localhost", 1, 2, 3, 4)
    private._write_config()
    assert "definitions" not in (private.dir / "rabbitmq.config").read_text()


def test_the_definitions_file_is_rewritten_only_when_the_topology_changes(tmp_path):
    reg, node = embedded(tmp_path)
    first = node_definitions(reg)
    assert node.write_definitions(first) is True
    assert stat.S_IMODE(node.definitions.stat().st_mode) == 0o600  # password hashes and shovel URIs
    assert node.write_definitions(node_definitions(reg)) is False  # rendered again: the same text
    assert node.definitions.read_text() == first
    defs = json.loads(first)
    # A node that loads definitions at boot creates neither the default vhost nor its admin's rights on it.
    assert defs["vhosts"][0] == {"name": "/"}
    assert {"vhost": "/", "user": "guest", "configure": ".*", "write": ".*", "read": ".*"} in defs["permissions"]
    assert {v["name"] for v in defs["vhosts"]} >= {s.vhost for s in reg.sites}
    other, _ = embedded(tmp_path, {"PASSERELLE_PREFIX": "other-"})
    assert node.write_definitions(node_definitions(other)) is True
    assert json.loads(node.definitions.read_text())["vhosts"][1]["name"].startswith("/other-")


def test_a_database_at_head_is_recognised_without_migrating_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'employer.sqlite'}"
    assert not at_head("employer", url)
    upgrade("employer", url)
    assert at_head("employer", url)
    assert not at_head("beneficiary", url)  # another service's head
