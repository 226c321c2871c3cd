"""RPC clients to every site: one pool of standalone proxies per site's vhost, on the gateway's broker user.

Used by the gateway, and by the runtime's verbs that call services (seed, imports, replays, key rotation).
"""

from __future__ import annotations

import eventlet
from nameko.exceptions import RpcTimeout

from kit.registry import Registry, Site
from kit.rpc import ProxyPool
from kit.topology import GATEWAY_USER

HEALTH_TIMEOUT = 3.0


class RpcClients:
    """One pool of RPC proxies per site of the registry; ``call`` one method on one site's service."""

    def __init__(self, registry: Registry, pool_size: int = 4, timeout: float | None = None):
        """``timeout``: each call's budget, the registry's ``rpc_timeout`` (an interactive request's) unless given."""
        self.registry = registry
        user = registry.prefix + GATEWAY_USER
        timeout = timeout or registry.platform["rpc_timeout"]
        self.pools = {
            site.code: ProxyPool(
                registry.amqp_uri_for(site.vhost, user), timeout, pool_size, registry.broker["heartbeat"]
            )
            for site in registry.sites
        }

    def call(self, site_code: str, service: str, method: str, *args, context: dict | None = None, **kwargs):
        """One RPC on a site; ``context`` carries the caller's identity (``kit.actor.Actor.context()``)."""
        with self.pools[site_code].proxy(context) as proxy:
            return getattr(getattr(proxy, service), method)(*args, **kwargs)

    def site_health(self, site: Site) -> dict:
        services = {}
        try:
            with self.pools[site.code].proxy() as proxy:
                replies = {name: getattr(proxy, name).health.call_async() for name in site.services}
                deadline = eventlet.Timeout(HEALTH_TIMEOUT, RpcTimeout(HEALTH_TIMEOUT))
                try:
                    for name, reply in replies.items():
                        try:
                            services[name] = reply.result()
                        except RpcTimeout:
                            raise
                        except Exception as exc:
                            services[name] = {"ready": False, "error": type(exc).__name__}
                finally:
                    deadline.cancel()
        except RpcTimeout:
            pass
        except Exception as exc:
            return {
                "ready": False,
                "error": f"{type(exc).__name__}: broker unreachable",
                "services": {n: {"ready": False} for n in site.services},
            }
        for name in site.services:
            services.setdefault(name, {"ready": False, "error": "no answer"})
        return {
            "name": site.name,
            "kind": site.kind,
            "vhost": site.vhost,
            "ready": all(s.get("ready") for s in services.values()),
            "services": services,
        }

    def health(self) -> dict:
        pool = eventlet.GreenPool()
        results = dict(
            zip([s.code for s in self.registry.sites], pool.imap(self.site_health, self.registry.sites), strict=True)
        )
        ready = all(r["ready"] for r in results.values())
        return {"status": "ready" if ready else "degraded", "ready": ready, "sites": results}

    def close(self):
        for pool in self.pools.values():
            pool.close()
