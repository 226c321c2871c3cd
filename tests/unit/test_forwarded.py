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


def test_only_the_transfer_and_agency_inbound_shovels_add_forward_headers(monkeypatch):
    """In the definitions and the operator resources alike."""
    monkeypatch.setenv("PASSERELLE_ENV", "development")
    registry = load()
    shovels = record(registry).shovels
    forwarding = {(s["vhost"], s["name"]) for s in shovels if s["value"].get("add-forward-headers")}
    expected = (
        {(m.vhost, "to-transfers") for m in registry.missions}
        | {(registry.transfers_vhost, f"to-{m.code}") for m in registry.missions}
        | {(registry.agencies_vhost, f"{a}-to-{m.code}") for m in registry.missions for a in ("forem", "actiris")}
    )
    assert forwarding == expected
    resources = [r for rs in operator_resources(registry).values() for r in rs if r["kind"] == "Shovel"]
    assert {
        (r["spec"]["vhost"], r["spec"]["name"]) for r in resources if r["spec"].get("addForwardHeaders")
    } == expected


# -- what an agency sends a Mission ---------------------------------------------------------------------------
AGENCIES_VHOST = "/agencies"
FROM_FOREM = {"x-shovelled": [hop("forem-to-mirec", AGENCIES_VHOST, **{"src-queue": "forem.inbound.mirec"})]}


def test_an_agency_event_is_the_agency_whose_queue_the_broker_read_it_from():
    assert forwarded.check_agency_route(
        "/agencies/forem", FROM_FOREM, AGENCIES_VHOST, "mirec", ("forem", "actiris")
    ) == ("forem")


@pytest.mark.parametrize(
    ("source", "headers", "why"),
    [
        # Le Forem claims to be Actiris: its queue says otherwise.
        ("/agencies/actiris", FROM_FOREM, "names another sender"),
        # No shovel: put into the Mission's exchange by hand.
        ("/agencies/forem", {}, "no forward header"),
        # Le Forem's own forged entry comes after the shovel's, which reads from another vhost here.
        (
            "/agencies/forem",
            {"x-shovelled": [hop("to-transfers", "/mission-mirena"), FROM_FOREM["x-shovelled"][0]]},
            "not from the agencies' vhost",
        ),
        # Routed to another Mission's queue, then shovelled here (a misconfiguration): refused.
        (
            "/agencies/forem",
            {"x-shovelled": [hop("forem-to-mirec", AGENCIES_VHOST, **{"src-queue": "forem.inbound.mirena"})]},
            "no agency's queue for mirec",
        ),
    ],
)
def test_an_agency_event_that_did_not_come_its_agencys_way_is_not_admitted(source, headers, why):
    with pytest.raises(NotAdmitted, match=why):
        forwarded.check_agency_route(source, headers, AGENCIES_VHOST, "mirec", ("forem", "actiris"))


def test_a_site_without_the_agencies_vhost_in_its_config_admits_no_agency_event():
    event = SimpleNamespace(source="/agencies/forem")
    with pytest.raises(NotAdmitted, match="no agency route"):
        forwarded.admit_agency_event(event, FROM_FOREM, {})
    forwarded.admit_agency_event(event, FROM_FOREM, {forwarded.AGENCIES_VHOST_KEY: AGENCIES_VHOST, "SITE": "mirec"})
