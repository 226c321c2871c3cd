"""Root of every test run: eventlet must patch the standard library before anything else loads.

It also says which tests are unit tests (``-m unit``, what ``make check`` runs): those of ``tests/unit`` and
of each service's ``tests`` folder, where no test needs a broker or a database server, except any marked
``integration``, ``reliability`` or ``slow``.

The tests run in development mode, said here explicitly rather than inherited from a Makefile, so that
the development secrets (``kit.mode``) are available to them and to every process they start; the tests
of production mode take it out of the environment they give.
"""

import json
import os
import resource
import warnings

os.environ["PASSERELLE_ENV"] = "development"

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()


import pytest  # noqa: E402

UNIT_FOLDERS = ("tests/unit/", "services/")
NOT_UNIT = ("integration", "reliability", "slow")


def _unit_run(config) -> bool:
    return (config.getoption("markexpr", "") or "").strip() == "unit"


def pytest_ignore_collect(collection_path, config):
    # `-m unit` (make check) does not import the folders that hold no unit test: importing the browser,
    # deployment and integration tests costs the inner loop seconds for tests it deselects anyway.
    if not _unit_run(config) or not collection_path.is_relative_to(config.rootpath):
        return None
    where = collection_path.relative_to(config.rootpath).as_posix() + ("/" if collection_path.is_dir() else "")
    inside = where.startswith(UNIT_FOLDERS) or any(folder.startswith(where) for folder in UNIT_FOLDERS)
    return None if inside or where in ("/", "./") else True


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        where = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if where.startswith(UNIT_FOLDERS) and not any(item.get_closest_marker(m) for m in NOT_UNIT):
            item.add_marker(pytest.mark.unit)
    # Tests of minutes (``long``) are left out of `make test`, which must stay within its time, and run by
    # `make test-long` (PASSERELLE_LONG_TESTS=1): deselected, never skipped, so a pass counts only what it ran.
    if not os.environ.get("PASSERELLE_LONG_TESTS"):
        long = [item for item in items if item.get_closest_marker("long")]
        if long:
            config.hook.pytest_deselected(items=long)
            items[:] = [item for item in items if not item.get_closest_marker("long")]


# `python -m tests.parallel` runs a pass as several pytest processes and asks each for its outcomes and durations.
_REPORT = os.environ.get("PASSERELLE_TEST_REPORT")


def pytest_runtest_logreport(report):
    if _REPORT:
        line = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome, "duration": report.duration}
        with open(_REPORT, "a") as out:
            out.write(json.dumps(line) + "\n")


def pytest_collectreport(report):
    if _REPORT and report.failed:  # a module that cannot be imported fails the pass as a test would
        line = {"nodeid": report.nodeid, "when": "collect", "outcome": "failed", "duration": 0.0}
        with open(_REPORT, "a") as out:
            out.write(json.dumps(line) + "\n")


def _cpu() -> float:
    """CPU seconds of this process and of the processes it started and waited for (sites, gateways, loaders)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # The CPU each test costs (its fixtures' setup and teardown included): a pass on two cores is bound by CPU,
    # so this, not the wall time, says which tests make it long.
    before = _cpu()
    yield
    if _REPORT:
        with open(_REPORT, "a") as out:
            out.write(json.dumps({"cpu_of": item.nodeid, "cpu": _cpu() - before}) + "\n")
