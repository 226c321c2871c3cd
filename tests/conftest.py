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


# Tests whose outcome does not depend on which database the services use: they run in the SQLite
# pass of `make test` only (`-m "not database_independent"` in the PostgreSQL pass), which keeps the
# two passes well inside CI's budget. Everything that stores or reads business data runs on both.
DATABASE_INDEPENDENT = (
    "tests/deploy/",  # manifests, compose file, alert rules, a Prometheus scrape
    "tests/contract/",  # the agency contract's documents and schemas
    "tests/integration/test_broker_topology.py",  # vhosts, users, permissions, shovels
    "tests/integration/test_rpc_timeouts.py",  # RPC budgets
    "tests/integration/test_rpc_pool.py",  # the pooled proxies' publish path
    "tests/integration/test_bounded_work.py",  # deadlines, single flight, the cap on heavy work
    "tests/integration/test_platform_up.py",  # processes up, ready and down
    "tests/integration/test_stock_machine.py",  # up beside a stock broker, up refusing one, a silent broker
    "tests/integration/test_shared_rate_limit.py",  # gateways and Redis, no service
    "tests/integration/test_config_errors.py",  # a misconfigured process stops at start with one line
    "tests/integration/test_site_start.py",  # broker connections spoiled while a site starts
    "tests/unit/test_production_mode.py",  # outside development mode a missing secret stops each verb
    "tests/integration/test_production_mode.py",  # InterMire without a sector key in its environment
    "tests/integration/test_gateway.py",  # the authorisation matrix and the Mission wall over HTTP
    "tests/integration/test_cloudevents_sdk.py",  # content types on the wire, read by the CloudEvents SDK
    "services/reporting/tests/test_suppression.py",  # small-cell protection: pure functions over arrays
    "services/reporting/tests/test_two_way.py",  # the same, for cross tables
    "tests/web/",  # the front office: pages over the gateway, whatever database the services use
    # The unit tests: rules over in-memory values, and services' use cases on a SQLite file of their own whatever
    # the pass (kit.testing), but for the files of ON_BOTH_DATABASES.
    "tests/unit/",
    "services/",
)

# Files under a prefix above whose tests do read PASSERELLE_TEST_DATABASE: they run in both passes.
ON_BOTH_DATABASES = (
    "tests/unit/test_migrations.py",  # models and migrations agree on the database they run on
    "services/convention/tests/test_convention_rules.py",  # its store is the pass's database
)


# Tests that run in the PostgreSQL pass only (`-m "not postgresql_only"` in the SQLite pass): what PostgreSQL
# checks more strictly or more concurrently than SQLite, where one pass is enough to keep the time. Run alone
# (`pytest FILE`), they run on whichever database PASSERELLE_TEST_DATABASE names.
POSTGRESQL_ONLY = (
    # Three minutes of faults: the production database, where the relay's row locks (FOR UPDATE SKIP LOCKED) and
    # concurrent inbox inserts meet real concurrency. The SQLite path of the same outbox, relay and inbox is
    # crash-tested in both passes by tests/integration/test_delivery_guarantees.py.
    "tests/reliability/test_faults.py",
    # Generated requests for every role: PostgreSQL enforces the columns' lengths and types that SQLite lets
    # through, so a value that gets past validation and breaks storage shows as a 5xx there only.
    "tests/integration/test_gateway_schemathesis.py",
)
ONE_DATABASE = {"database_independent": DATABASE_INDEPENDENT, "postgresql_only": POSTGRESQL_ONLY}


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        for marker, files in ONE_DATABASE.items():
            if where.startswith(files) and not where.startswith(ON_BOTH_DATABASES):
                item.add_marker(getattr(pytest.mark, marker))
