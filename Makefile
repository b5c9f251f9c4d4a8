# Two commands matter: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The SDK and the emulator (its own distribution, in emulator/) are installed together.
$(STAMP_RUN): pyproject.toml emulator/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ./emulator -e .
	touch $@

$(STAMP_DEV): pyproject.toml emulator/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ./emulator -e '.[dev,redis]'
	touch $@ $(STAMP_RUN)

# Benchmarks only: the rivals they compare against and matplotlib for the plots.
$(STAMP_BENCH): pyproject.toml emulator/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ./emulator -e '.[dev,redis,bench]'
	touch $@ $(STAMP_DEV) $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/python examples/demo.py

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

pytest: $(STAMP_DEV)
	rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest -W error $(PYTEST_ARGS)
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

test: lint typecheck pytest

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache
