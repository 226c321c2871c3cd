"""The gateway's RPC client (``kit.rpc.ProxyPool``) on the real broker: what its own publish path must keep of nameko's.

Requests go out on a channel of the pooled proxy's reply connection (``kit.rpc._ConfirmedPublisher``) rather
than through nameko's publisher; a service in this process answers them. The call's arguments cross with
nameko's serializer (a date stays a date), the caller's context data arrive as nameko headers, a request no
queue takes is ``UnknownService`` at once (not a timeout), and the proxy that saw it still answers the next
call with its own reply.
"""

import datetime
import time

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from kit.rpc import ProxyPool
from kit.work import DEADLINE_KEY

pytestmark = pytest.mark.integration


class ContextData(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return dict(worker_ctx.context_data)


class Echo:
    name = "echo"
    context_data = ContextData()

    @rpc
    def back(self, value, when=None):
        return {"value": value, "when_type": type(when).__name__}

    @rpc
    def context(self):
        return self.context_data


@pytest.fixture
def pool(platform):
    uri = platform.registry.admin_amqp_uri(platform.registry.site("mirec").vhost)
    container = ServiceContainer(Echo, {"AMQP_URI": uri})
    pool = ProxyPool(uri, timeout=10, size=1)  # one proxy: every call below goes through the same one
    with eventlet.Timeout(120):  # a guard: the test must fail, not hang
        container.start()
        try:
            yield pool
        finally:
            pool.close()
            container.kill()


def test_a_pooled_call_keeps_nameko_serializer_and_context(pool):
    context = {"actor_sub": "anne", "actor_mission": "mirec", "request_id": "req-42"}
    with pool.proxy(context) as proxy:
        assert proxy.echo.back("bonjour", when=datetime.date(2026, 12, 7)) == {"value": "bonjour", "when_type": "date"}
        seen = proxy.echo.context()
    assert {k: seen.get(k) for k in context} == context
    assert seen[DEADLINE_KEY] > time.time()  # the caller's deadline travels with the call (kit.work)


def test_a_request_nobody_takes_is_unknown_service_at_once_and_the_proxy_goes_on(pool):
    for attempt in range(2):
        began = time.monotonic()
        with pytest.raises(UnknownService), pool.proxy() as proxy:
            proxy.nobody_runs_this.method()
        assert time.monotonic() - began < 5, "refused at once, not after the call's 10 s budget"
        with pool.proxy() as proxy:
            assert proxy.echo.back(attempt)["value"] == attempt  # its own reply, confirms in step
