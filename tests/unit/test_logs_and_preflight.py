"""Log levels of refusals, and the broker preflight's arithmetic, without a broker."""

import io
import json
import logging

import pytest

from kit import logs
from kit.config import ConfigError
from kit.errors import Conflict, ValidationFailed
from kit.registry import load
from runtime.preflight import HANDLES_PER_QUORUM_QUEUE, Need, check_file_budget, need_of


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    logs.setup(site="t", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().handlers[:] = []


def raise_and_log(exc):
    try:
        raise exc
    except Exception as caught:
        logging.getLogger("nameko.containers").exception("error handling worker <w>: %s", caught)


def test_an_expected_refusal_is_one_info_line_without_traceback(log_lines):
    raise_and_log(Conflict("a file with this national register number exists in this Mission", "id-1"))
    raise_and_log(ValidationFailed({"niss": ["invalid"]}))
    lines = log_lines()
    assert [line["level"] for line in lines] == ["info", "info"]
    assert all("exception" not in line for line in lines)
    assert lines[0]["message"].startswith("refused: Conflict: ")


def test_an_unexpected_error_keeps_its_level_and_traceback(log_lines):
    raise_and_log(RuntimeError("disk full"))
    (line,) = log_lines()
    assert line["level"] == "error"
    assert "Traceback" in line["exception"] and "RuntimeError: disk full" in line["exception"]


def test_the_whole_registry_needs_more_file_handles_than_a_stock_broker_has():
    need = need_of(load(environ={}))
    # 12 sites and the agencies: a queue per event handler with its dead letters, the outgoing and signal queues
    assert need.quorum_queues > 400
    assert need.handles > 1024
    refusal = rf"may open 1024 files; the platform needs about \d+ \({need.quorum_queues} quorum queues"
    with pytest.raises(ConfigError, match=refusal):
        check_file_budget(1024, {"host": "h", "port": 5672}, need)
    check_file_budget(65536, {"host": "h", "port": 5672}, need)  # a raised limit is enough


def test_quorum_queues_already_on_the_broker_count_against_the_budget():
    need = Need(quorum_queues=100, connections=50)
    enough = need.handles
    check_file_budget(enough, {"host": "h", "port": 1}, need)
    with pytest.raises(ConfigError, match="20 quorum queues already there"):
        check_file_budget(enough + HANDLES_PER_QUORUM_QUEUE * 20 - 1, {"host": "h", "port": 1}, need, 20)


def test_a_database_error_does_not_carry_the_values_it_failed_on(tmp_path):
    """A failed write's error names the statement, never its values (a national number at intake)."""
    import sqlalchemy as sa

    from kit.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE person (niss TEXT UNIQUE)"))
        conn.execute(sa.text("INSERT INTO person VALUES (:n)"), {"n": "85073003361"})
    with pytest.raises(sa.exc.IntegrityError) as failed, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO person VALUES (:n)"), {"n": "85073003361"})
    assert "INSERT INTO person" in str(failed.value)
    assert "85073003361" not in str(failed.value)
    engine.dispose()
