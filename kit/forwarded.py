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
