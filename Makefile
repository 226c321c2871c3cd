# The few verbs a newcomer needs. `make up` and `make test` work from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The packages are installed by uv (pinned here, the one package installed before requirements.txt): it installs the
# same pinned versions as pip, several times faster (measured from a fresh clone in bench/results/startup.md).
UV_VERSION := 0.13.9

.PHONY: bytecode up down status seed test test-sqlite test-postgres test-long tools lint check install render bench reliability-long

# The embedded default and the tests run in development mode, said here explicitly: only there may a process
# fall back on the development secrets written in the code (kit/mode.py). Anywhere else a missing secret stops it.
export PASSERELLE_ENV ?= development

$(STAMP): requirements.txt pyproject.toml services/*/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Passerelle needs Python 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

## bytecode: the packages are compiled at install and our sources here (only what changed since). A machine may set
## PYTHONDONTWRITEBYTECODE, and then no process keeps what it compiles: each would compile every module it imports
## again, about a second of CPU per site start and per test process.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 kit services gateway runtime contracts web tests deploy bench conftest.py

## up: a RabbitMQ node of the platform's own (var/broker), broker topology, migrations, the eleven Missions,
## InterMire and the gateway, with demo data. `down` stops them all, the node included.
up: bytecode
	$(BIN)/passerelle up --seed

down: $(STAMP)
	$(BIN)/passerelle down

status: $(STAMP)
	$(BIN)/passerelle status

seed: $(STAMP)
	$(BIN)/passerelle seed

## test: the whole suite against the real RabbitMQ, on SQLite and on PostgreSQL
## Each pass runs on a RabbitMQ node of its own (tests/reliability/broker_node.py: the installed RabbitMQ, fresh data, free
## ports), started for the pass and stopped after it: a pass never inherits the state of the machine's broker.
## The two passes run side by side (their own nodes, databases and ports), and each pass runs its test files in
## TEST_JOBS pytest processes side by side (tests/parallel.py): most of a pass is spent waiting on brokers and
## processes, not on the cores. Each pass's output is printed whole when it ends, with its 15 slowest test phases.
## PYTEST_ARGS go to every pytest process (e.g. PYTEST_ARGS="-k gateway"); TEST_PATHS narrows the files.
TEST_BROKER := $(BIN)/python -m tests.reliability.broker_node --
TEST_JOBS ?= 3
TEST_PASS = $(BIN)/python -m tests.parallel --jobs $(TEST_JOBS) --durations 15 $(TEST_PATHS) --
test: $(STAMP) tools
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

## tools: what the tests need beyond Python (RabbitMQ, Prometheus, Chromium, npm packages): checked, and
## installed where it can be; .ci/run calls the same script.
tools:
	@tools/setup

test-sqlite: bytecode
	PASSERELLE_TEST_DATABASE=sqlite $(TEST_BROKER) $(TEST_PASS) -m "not postgresql_only" $(PYTEST_ARGS)

test-postgres: bytecode
	PASSERELLE_TEST_DATABASE=postgresql $(TEST_BROKER) $(TEST_PASS) -m "not database_independent" $(PYTEST_ARGS)

## test-long: the tests of minutes at full scale (marker `long`: the import of a generated 20,000-row file, a 10,000-offer feed), which
## `make test` leaves out to stay within its time; on SQLite, on a private broker node
test-long: bytecode
	PASSERELLE_LONG_TESTS=1 PASSERELLE_TEST_DATABASE=sqlite $(TEST_BROKER) $(BIN)/python -m pytest -m long $(PYTEST_ARGS)

## lint: ruff, and import-linter's contracts (pyproject.toml): imports point down the layers, no circles
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## check: the inner loop, under a minute with no broker and no database server: lint, types (mypy, configured in
## pyproject.toml) and the unit tests (`-m unit`: tests/unit and the services' tests, conftest.py says which).
check: lint bytecode
	$(BIN)/mypy
	$(BIN)/python -m pytest -m unit -q --durations=0 --durations-min=2 $(PYTEST_ARGS)

## render: rewrite the deployment files derived from the registry (deploy/render.py)
render: $(STAMP)
	$(BIN)/python deploy/render.py

## bench: every benchmark area (bench/<area>/run.py), then BENCHMARKS.md assembled from bench/results
## (BENCH_ARGS="--quick" for a small-scale check, "--only events,startup" for some areas)
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## reliability-long: a million events under seeded random faults on a private broker; appends to RELIABILITY.md
EVENTS ?= 1000000
SEED ?= 7
reliability-long: $(STAMP)
	$(BIN)/python -m tests.reliability.long --events $(EVENTS) --seed $(SEED)
