"""kit.forwarded: a transfer is admitted only when the shovels' forward headers say it came through the transfers
vhost from the vhost of the Mission its source names; the headers as RabbitMQ 3.10 writes them (latest hop
first, credentials stripped from the URIs), and the transfer shovels declared with them."""

from types import SimpleNamespace

import pytest

from kit import forwarded
from kit.definitions import operator_resources, record
from kit.forwarded import NotAdmitted, admit_transfer, check_transfer_route, hops
from kit.registry import load

TRANSFERS = "/transfers"
VHOSTS = {"mirec": "/mission-mirec", "mirena": "/mission-mirena"}
SOURCE = "/missions/mirec/beneficiary"


def hop(name, src_vhost, **more):
    """One entry as RabbitMQ's shovel writes it (``rabbit_amqp091_shovel``, ``add-forward-headers``)."""
    encoded = src_vhost.replace("/", "%2F")
    return {
        "shovelled-by": "rabbit@node",
        "shovel-type": "dynamic",
        "shovel-name": name,
        "shovel-vhost": src_vhost,
        "src-uri": f"amqp://127.0.0.1:5672/{encoded}",
        "dest-uri": "amqp://127.0.0.1:5672/elsewhere",
        **more,
    }


def way(*entries):
    return {forwarded.SHOVELLED: list(entries), "x-shovelled-timestamp": 1765000000}


GENUINE = way(hop("to-mirena", TRANSFERS), hop("to-transfers", "/mission-mirec"))


def test_a_transfer_shovelled_from_its_source_missions_vhost_through_the_transfers_vhost_is_admitted():
    assert hops(GENUINE) == [TRANSFERS, "/mission-mirec"]
    check_transfer_route(SOURCE, GENUINE, TRANSFERS, VHOSTS)
    # What the sender added itself comes after the shovels' entries, and changes nothing.
    forged_tail = way(*GENUINE[forwarded.SHOVELLED], hop("to-transfers", "/mission-mirena"))
    check_transfer_route(SOURCE, forged_tail, TRANSFERS, VHOSTS)


@pytest.mark.parametrize(
    ("source", "headers", "says"),
    [
        # Published straight into the Mission's inbound exchange (no shovel did it).
        (SOURCE, {}, "not shovelled"),
        (SOURCE, way(hop("to-mirena", TRANSFERS)), "not shovelled"),
        # Published on the sender's own vhost with a forged list: the shovels' real entries come first.
        (
            SOURCE,
            way(hop("to-mirena", "/mission-mirec"), hop("to-transfers", "/mission-mirec")),
            "not from the transfers vhost",
        ),
        # MIREC's request, claiming MIRENA (or a Mission of no registry) as its source.
        ("/missions/mirena/beneficiary", GENUINE, "claims Mission mirena"),
        ("/missions/mirezz/beneficiary", GENUINE, "names no Mission"),
        ("/intermire/reporting", GENUINE, "names no Mission"),
    ],
)
def test_anything_else_is_refused_with_its_reason(source, headers, says):
    with pytest.raises(NotAdmitted, match=says):
        check_transfer_route(source, headers, TRANSFERS, VHOSTS)


def test_headers_as_amqp_may_carry_them_and_entries_without_a_uri():
    raw = way({"src-uri": b"amqp://h/%2Ftransfers"}, {"shovel-name": "x"}, {"src-uri": "amqp://h"})
    assert hops(raw) == ["/transfers", "", "/"]
    assert hops({forwarded.SHOVELLED: "not a list"}) == [] and hops(None) == []


def test_a_site_without_the_route_in_its_config_admits_no_transfer():
    event = SimpleNamespace(source=SOURCE)
    with pytest.raises(NotAdmitted, match="names no transfer route"):
        admit_transfer(event, GENUINE, {})
    config = {forwarded.TRANSFERS_VHOST_KEY: TRANSFERS, forwarded.MISSION_VHOSTS_KEY: VHOSTS}
    admit_transfer(event, GENUINE, config)


def test_only_the_transfer_shovels_add_forward_headers_in_the_definitions_and_operator_resources(monkeypatch):
    monkeypatch.setenv("PASSERELLE_ENV", "development")
    registry = load()
    shovels = record(registry).shovels
    forwarding = {(s["vhost"], s["name"]) for s in shovels if s["value"].get("add-forward-headers")}
    expected = {(m.vhost, "to-transfers") for m in registry.missions} | {
        (registry.transfers_vhost, f"to-{m.code}") for m in registry.missions
    }
    assert forwarding == expected
    resources = [r for rs in operator_resources(registry).values() for r in rs if r["kind"] == "Shovel"]
    assert {
        (r["spec"]["vhost"], r["spec"]["name"]) for r in resources if r["spec"].get("addForwardHeaders")
    } == expected
