"""Fixtures shared by the cross-service tests."""

import pytest

from tests.harness import TestPlatform


@pytest.fixture
def platform(tmp_path):
    """Two Missions (MIREC, MIRENA) and InterMire on a throwaway vhost set, migrated and declared."""
    p = TestPlatform(tmp_path).setup()
    try:
        yield p
    finally:
        p.teardown()
