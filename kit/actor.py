"""Who is calling, as the gateway authenticated them, and what they may do.

The gateway puts the caller's identity in nameko's context data
(``actor_sub``, ``actor_mission``, ``actor_roles``, and for a partner
``actor_organisation``: the partner directory's organisation it acts for); nameko carries it on
every RPC and event a call leads to. Services re-check it against the policy
table (``kit.permissions``) and their own site: the gateway is not the only lock.
A call that carries no identity is refused, and so is a partner's that names
no organisation: a partner sees only what its own organisation did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

from kit.errors import Forbidden
from kit.permissions import allowed_roles

SUB, MISSION, ROLES = "actor_sub", "actor_mission", "actor_roles"
ORGANISATION = "actor_organisation"
# The role of a local partner's staff (a CPAS, an ALE, a training operator...): scoped to one organisation.
PARTNER = "partner"


# The system actor facts brought in by ``passerelle import-files`` are recorded under, in every service.
IMPORT_SUB = "system:import-files"


@dataclass(frozen=True)
class Actor:
    sub: str | None
    mission: str | None
    roles: tuple[str, ...]
    # The partner directory's organisation a partner acts for (``PARTNER``); None for the Mission's own staff.
    organisation: str | None = None

    @property
    def is_partner(self) -> bool:
        return PARTNER in self.roles

    def context(self) -> dict[str, str]:
        """The context data that carries this actor over RPC."""
        context = {
            SUB: self.sub,
            MISSION: self.mission,
            ROLES: ",".join(self.roles),
            ORGANISATION: self.organisation,
        }
        return {key: value for key, value in context.items() if value}

    @classmethod
    def from_context(cls, data: Mapping[str, Any]) -> Actor:
        roles = tuple(r for r in (data.get(ROLES) or "").split(",") if r)
        return cls(data.get(SUB), data.get(MISSION), roles, data.get(ORGANISATION) or None)


class Caller(DependencyProvider):
    """``self.caller.authorize("beneficiary.register")`` returns the actor or raises Forbidden."""

    def get_dependency(self, worker_ctx: Any) -> _Authorizer:
        return _Authorizer(Actor.from_context(worker_ctx.data), self.container.config.get("SITE"))


class _Authorizer:
    def __init__(self, actor: Actor, site: str | None):
        self.actor, self.site = actor, site

    def authorize(self, action: str) -> Actor:
        actor = self.actor
        if not actor.sub or not actor.roles:
            raise Forbidden("no authenticated caller")
        if actor.is_partner and not actor.organisation:
            raise Forbidden("a partner acts for an organisation, and this caller names none")
        if actor.mission != self.site:
            # Never say which Mission owns what: the same answer as a missing role.
            raise Forbidden(f"not allowed: {action}")
        if not set(actor.roles) & allowed_roles(action):
            raise Forbidden(f"not allowed: {action}")
        return actor

    def may(self, action: str) -> bool:
        try:
            self.authorize(action)
            return True
        except Forbidden:
            return False
