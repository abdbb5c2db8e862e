# Two set-up commands (see README): `make run` serves the dashboard, `make test` runs every test.
# Each creates .venv on first use and reinstalls when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/aisector dashboard --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.pandas_layer
	$(BIN)/python -m benchmarks.first_chart
	$(BIN)/python -m benchmarks.crash_runs
	$(BIN)/python -m benchmarks.load_sessions
	$(BIN)/python -m benchmarks.requests_per_snapshot
	$(BIN)/python -m benchmarks.store_throughput

clean:
	rm -rf $(VENV) artifacts .pytest_cache .hypothesis
