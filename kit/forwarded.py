"""Who really sent a transfer: the broker's own account of the way it came, not the event's word for it.

A transfer event names its sender in its CloudEvents ``source`` (``/missions/<code>/beneficiary``), which
the sending service writes, and could write false. The way it travelled is written by the broker instead:
the two transfer shovels (``kit.topology``: ``to-transfers`` from the sending Mission's vhost into the
transfers vhost, then ``to-<code>`` from there into the addressee's) run with ``add-forward-headers``, and
each one *prepends* an entry to the message's ``x-shovelled`` header list, with the URI of the vhost it read
from (credentials stripped by RabbitMQ). A Mission's service may publish headers of its own, a forged
``x-shovelled`` list included, only on its own vhost: whatever it adds comes after the two entries the
shovels put in front. So the first entry must say the transfers vhost, and the second the vhost of the
Mission the ``source`` names; anything else is refused (``admit_transfer``), and the consumer dead-letters
it with the reason (``kit.consumer``). Nothing but the shovel user may publish into a Mission's
``passerelle.transfers.in`` (ARCHITECTURE.md, "Broker users"); a message put there by hand (the broker
admin) carries no such entries and is refused too.

Each site's services learn the vhosts from their container config (``runtime.site_runner``):
``TRANSFERS_VHOST`` and ``MISSION_VHOSTS`` (Mission code -> vhost), since a site's vhost may be set in the
registry rather than derived from its code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from contracts.agency.catalogue import AGENCIES

SHOVELLED = "x-shovelled"  # RabbitMQ's forward header: a list of tables, the latest hop first
TRANSFERS_VHOST_KEY = "TRANSFERS_VHOST"
MISSION_VHOSTS_KEY = "MISSION_VHOSTS"


class NotAdmitted(Exception):
    """An event its handler must not apply, for a reason retrying cannot change: dead-lettered at once."""


def hops(headers: Mapping[str, Any] | None) -> list[str]:
    """The vhosts a message was shovelled from, the latest hop first ("" where an entry names none)."""
    entries = (headers or {}).get(SHOVELLED)
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        return []
    found = []
    for entry in entries:
        uri = entry.get("src-uri") if isinstance(entry, Mapping) else None
        if isinstance(uri, bytes):
            uri = uri.decode()
        # amqp://host:port/<vhost, percent-encoded>; a URI without a path is the default vhost "/".
        found.append((unquote(urlsplit(uri).path[1:]) or "/") if isinstance(uri, str) else "")
    return found


def sender_of(source: str) -> str:
    """The Mission code a transfer event's ``source`` claims (``/missions/<code>/<service>``; "" if none)."""
    parts = source.strip("/").split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "missions" else ""


def check_transfer_route(
    source: str, headers: Mapping[str, Any] | None, transfers_vhost: str, mission_vhosts: Mapping[str, str]
) -> None:
    """``NotAdmitted`` unless the broker says this came from the transfers vhost, shovelled there from the
    vhost of the Mission ``source`` names."""
    way = hops(headers)
    if len(way) < 2:
        raise NotAdmitted(f"not shovelled through {transfers_vhost}: {len(way)} forward header(s)")
    if way[0] != transfers_vhost:
        raise NotAdmitted(f"shovelled from {way[0]!r}, not from the transfers vhost {transfers_vhost!r}")
    claimed = sender_of(source)
    expected = mission_vhosts.get(claimed)
    if expected is None:
        raise NotAdmitted(f"the source {source!r} names no Mission of the registry")
    if way[1] != expected:
        raise NotAdmitted(f"sent from {way[1]!r}, while its source claims Mission {claimed} ({expected!r})")


def admit_transfer(event: Any, headers: Mapping[str, Any] | None, config: Mapping[str, Any]) -> None:
    """``check_transfer_route`` with the vhosts of the site's container config (an ``EventHandler`` admission)."""
    transfers_vhost, mission_vhosts = config.get(TRANSFERS_VHOST_KEY), config.get(MISSION_VHOSTS_KEY)
    if not transfers_vhost or not isinstance(mission_vhosts, Mapping):
        raise NotAdmitted(f"the site's config names no transfer route ({TRANSFERS_VHOST_KEY}, {MISSION_VHOSTS_KEY})")
    check_transfer_route(event.source, headers, transfers_vhost, mission_vhosts)


# -- what an agency sends a Mission ----------------------------------------------------------------------------
# The same account, for the agencies' events (contracts.agency.inbound): an agency publishes only to its own
# ``<agency>.inbound`` exchange on /agencies (its broker user may write nowhere else), whose queue for each Mission
# (``<agency>.inbound.<code>``) a shovel with forward headers delivers into that Mission's ``passerelle.agency.in``.
# That shovel's entry, first in ``x-shovelled``, names the vhost and the queue it read from; the agency is the
# queue's, whatever the event's ``source`` says, and an entry the agency wrote itself comes after it.
AGENCIES_VHOST_KEY = "AGENCIES_VHOST"
SITE_KEY = "SITE"  # the site's code (kit.service.SITE_KEY; kit.service imports the consumer, which imports this)


def first_hop(headers: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The forward header entry of the latest shovel the message passed (empty when there is none)."""
    entries = (headers or {}).get(SHOVELLED)
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes) or not entries:
        return {}
    first = entries[0]
    if not isinstance(first, Mapping):
        return {}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in first.items()}


def agency_of(source: str) -> str:
    """The agency an inbound event's ``source`` claims (``/agencies/<agency>``; "" if none)."""
    parts = source.strip("/").split("/")
    return parts[1] if len(parts) == 2 and parts[0] == "agencies" else ""


def check_agency_route(
    source: str, headers: Mapping[str, Any] | None, agencies_vhost: str, mission: str, agencies: Sequence[str]
) -> str:
    """The agency that sent this to ``mission``, as the broker says: ``NotAdmitted`` unless the latest shovel read
    it from ``<agency>.inbound.<mission>`` on the agencies' vhost and ``source`` names that same agency."""
    hop = hops(headers)
    if not hop:
        raise NotAdmitted(f"not shovelled from {agencies_vhost}: no forward header")
    if hop[0] != agencies_vhost:
        raise NotAdmitted(f"shovelled from {hop[0]!r}, not from the agencies' vhost {agencies_vhost!r}")
    queue = first_hop(headers).get("src-queue")
    sender = next((a for a in agencies if queue == f"{a}.inbound.{mission}"), None)
    if sender is None:
        raise NotAdmitted(f"shovelled from the queue {queue!r}, which is no agency's queue for {mission}")
    if agency_of(source) != sender:
        raise NotAdmitted(f"sent by {sender}, while its source {source!r} names another sender")
    return sender


def admit_agency_event(event: Any, headers: Mapping[str, Any] | None, config: Mapping[str, Any]) -> None:
    """``check_agency_route`` with the site's container config (an ``EventHandler`` admission)."""
    agencies_vhost, mission = config.get(AGENCIES_VHOST_KEY), config.get(SITE_KEY)
    if not agencies_vhost or not mission:
        raise NotAdmitted(f"the site's config names no agency route ({AGENCIES_VHOST_KEY}, {SITE_KEY})")
    check_agency_route(event.source, headers, agencies_vhost, mission, AGENCIES)
