# ecosim — the two commands of the quick start, and a few helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(); print(max(1, min(4, n or 1)))')

.PHONY: run test lint bench clean

$(BIN)/activate:
	@echo "Creating the virtual environment $(VENV) ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip

# pip prints one line per package it collects, so the first install (a minute or so) shows
# what it is doing
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	@echo "Installing ecosim and its dependencies into $(VENV) (first time: about a minute) ..."
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	@echo "Installing ecosim with its test tools into $(VENV) (first time: about a minute) ..."
	$(BIN)/pip install -e '.[test]'
	touch $(VENV)/.installed $@

# --force: the quick start writes the same file each time it is run, on purpose
run: $(VENV)/.installed
	$(BIN)/ecosim run scenarios/baseline.yaml --out outputs/baseline.nc --force

lint: $(VENV)/.installed-test
	$(BIN)/ruff check ecosim tests benchmarks calibration
	$(BIN)/ruff format --check ecosim tests benchmarks calibration
	$(BIN)/mypy
	$(BIN)/lint-imports

# one test process per core (at most four, each warms its own kernels), a test file in one of
# them: a module's fixtures (a sweep, a cluster) are made once
test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_kernels.py
	$(BIN)/python benchmarks/bench_baseline.py
	$(BIN)/python benchmarks/bench_scaling.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_fidelity.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
