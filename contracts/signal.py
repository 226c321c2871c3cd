"""The signal audience: what InterMire tells the Missions concerned (pseudonyms only).

Published on InterMire's ``passerelle.signals`` exchange with the addressee
Mission in front of the routing key; a shovel carries each to that Mission.
One class per type and version (``contracts.payloads``).
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from contracts.payloads import Meta, Payload


class Signal(Payload, frozen=True, kw_only=True):
    AUDIENCE: ClassVar[str] = "signal"


class FollowedElsewhereV1(Signal, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "be.mire.reporting.followed_elsewhere.v1"
    SUMMARY: ClassVar[str] = "The person of this pseudonym is followed by these Missions (this one among them)."
    pseudonym: Annotated[str, Meta(min_length=1, max_length=64)]
    missions: Annotated[list[Annotated[str, Meta(min_length=1, max_length=32)]], Meta(min_length=2)]


PAYLOADS: tuple[type[Signal], ...] = (FollowedElsewhereV1,)
