# Two entry points that set themselves up on a fresh Debian machine with Python 3.11:
#   make demo   runs the reference scenario end to end (train -> gates -> register -> package -> deploy)
#   make test   runs the whole test suite
#   make check  the fast tier: lint, types and the tests that need no subprocess, network or MLflow
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Isolated Python environments built for deployments are cached here, across state folders and runs.
export MLOPS_ENV_CACHE ?= $(CURDIR)/.mlops-cache/envs
export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: demo test check lint typecheck clean-state

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m compileall -q emulator
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# Tests run on two workers more than there are cores (at most 4), a file per worker at a time: the suite
# waits on the processes it starts (on 2 cores, 2 workers kept about one core busy, 3 left 6% of the
# CPU idle, 4 under 1%). Scenarios that share a module-scoped fixture or a Docker image stay together; the
# files of a minute or more start first (tests/conftest.py).
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(min(4, (os.cpu_count() or 1) + 2))')
# The package is byte-compiled first: with PYTHONDONTWRITEBYTECODE set (as on some CI machines), each of
# the suite's ~1,000 `mlops` and `az` processes would otherwise compile the modules it imports again.
# Temporary files go to a memory file system when there is room (scripts/test_tmpdir.py says why).
test: $(STAMP)
	$(BIN)/python -m compileall -q emulator
	TMPDIR="$$($(BIN)/python scripts/test_tmpdir.py)" $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

# The pure tier: tests/conftest.py fails a test of this tier that starts a process, opens a connection or
# imports MLflow, so the tier stays fast and honest.
check: lint typecheck
	MLOPS_TEST_TIER=check HYPOTHESIS_PROFILE=check $(BIN)/python -m pytest -m "not integration" \
		-n auto --maxprocesses=4 -q

lint: $(STAMP)
	$(BIN)/ruff check emulator tests code dataset benchmarks scripts
	$(BIN)/ruff format --check emulator tests code dataset benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

clean-state:
	-$(BIN)/mlops endpoints down
	rm -rf .mlops
