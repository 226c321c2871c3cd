"""Databases are built by migrations, and the migrations build exactly what the models describe."""

import pytest

from kit.migrations import drift, drop_database, upgrade
from kit.registry import load
from tests.harness import DATABASE, POSTGRES_URL

SERVICES = sorted({path.split(".", 1)[0] for site in load().sites for path in site.services.values()})


@pytest.mark.parametrize("package", SERVICES)
def test_models_have_no_change_without_a_migration(package, tmp_path):
    if DATABASE == "sqlite":
        url = f"sqlite:///{tmp_path}/{package}.sqlite"
    else:
        url = f"{POSTGRES_URL}/drift_{package}_{tmp_path.name[-8:].lower()}"
    upgrade(package, url)
    try:
        assert drift(package, url) == []
    finally:
        drop_database(url)
