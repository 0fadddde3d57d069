# ecosim — the two commands of the quick start, and a few helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/ecosim run scenarios/baseline.yaml --out outputs/baseline.nc

lint: $(VENV)/.installed-test
	$(BIN)/ruff check ecosim tests benchmarks calibration
	$(BIN)/ruff format --check ecosim tests benchmarks calibration
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_kernels.py
	$(BIN)/python benchmarks/bench_baseline.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
