"""Every RPC has a budget: a call to a stopped service fails with RpcTimeout, and its request expires."""

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import RpcTimeout
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from kit.rpc import TimedRpcProxy
from tests.harness import TestPlatform, wait_until

pytestmark = pytest.mark.integration


class Caller:
    """A service that calls another through the kit's timed proxy."""

    name = "caller"
    convention = TimedRpcProxy("convention", timeout=1.0)

    @rpc
    def ask_convention(self):
        return self.convention.health()


@pytest.fixture(scope="module")
def stopped_convention(tmp_path_factory):
    """The convention service has run once (its RPC queue exists) and is now stopped.

    One platform for the module: each test waits for its own request to expire or leaves one that expires, and
    neither reads what the other left.
    """
    platform = TestPlatform(tmp_path_factory.mktemp("timeouts"), missions=("mirec",), intermire=False).setup()
    try:
        site = platform.start("mirec", services=["convention"])
        site.stop()
        yield platform
    finally:
        platform.teardown()


def test_gateway_call_to_stopped_service_times_out_and_the_request_expires(stopped_convention):
    platform = stopped_convention
    vhost = platform.registry.site("mirec").vhost
    with pytest.raises(RpcTimeout) as raised:
        platform.rpc("mirec", "convention", "health")
    assert float(str(raised.value)) == platform.registry.platform["rpc_timeout"]
    # Nobody waits for that request any more: the broker drops it rather than
    # leaving it for the service to work through when it comes back.
    wait_until(lambda: platform.queue_depth(vhost, "rpc-convention") == 0, what="the request to expire")


def test_service_to_service_call_to_stopped_service_times_out(stopped_convention):
    platform = stopped_convention
    uri = platform.registry.admin_amqp_uri(platform.registry.site("mirec").vhost)
    container = ServiceContainer(Caller, {"AMQP_URI": uri})
    # A guard, not a measure: this test must fail, not hang, if the budget is not kept.
    with eventlet.Timeout(60):
        container.start()
        try:
            with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as proxy:
                # kit.errors registers RpcTimeout to cross RPC intact: the caller's own timeout arrives as itself.
                with pytest.raises(RpcTimeout):
                    proxy.caller.ask_convention()
        finally:
            container.kill()
