"""What the integration modules share: the gateway in-process over the module's own ``platform`` fixture."""

import pytest

from tests.harness import gateway_client


@pytest.fixture(scope="module")
def client(platform):
    """werkzeug's test client on a gateway over this module's platform (a module defines ``platform``)."""
    with gateway_client(platform) as client:
        yield client
