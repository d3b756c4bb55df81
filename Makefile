# The two README commands: `make demo` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test ui bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/albumsync demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

ui: $(STAMP)
	$(BIN)/albumsync ui

bench: $(STAMP)
	$(BIN)/python bench/db_sync.py
	$(BIN)/python bench/naming.py

lint: $(STAMP)
	$(BIN)/ruff check albumsync_dagster albumsync_dagster_tests bench
	$(BIN)/ruff format --check albumsync_dagster albumsync_dagster_tests bench
	$(BIN)/mypy albumsync_dagster

clean:
	rm -rf $(VENV) .albumsync .pytest_cache
