"""Fixtures of the browser tests: one platform, its gateway and the front office for the whole module."""

import pytest

from tests.web.browser import FrontOffice


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    office = FrontOffice(tmp_path_factory.mktemp("front"))
    try:
        yield office.start()
    finally:
        office.stop()
