# Two commands matter: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
# bash: the pytest-versions loop reads its list with a here-string.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_BENCH := $(VENV)/.installed-bench
STAMP_DOCS := $(VENV)/.installed-docs

.PHONY: demo test lint typecheck pytest pytest-versions package-check docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What an install builds from: a change to any of them installs again (the build hook
# compiles the C extensions, the scanner and the decoder, into the source tree for an
# editable install).
BUILD_INPUTS := pyproject.toml emulator/pyproject.toml hatch_build.py recrubo_async/_scan.c \
	recrubo_async/_decode.c

# The SDK and the emulator (its own distribution, in emulator/) are installed together.
$(STAMP_RUN): $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ./emulator -e .
	touch $@

$(STAMP_DEV): $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ./emulator -e '.[dev,redis]'
	touch $@ $(STAMP_RUN)

# Benchmarks only: the rivals they compare against and matplotlib for the plots.
$(STAMP_BENCH): $(BUILD_INPUTS) | $(BIN)/python
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

# Every other supported CPython found beside $(PYTHON) (.ci/find_pythons.py) runs the suite
# in its own .venv-X.Y, without coverage. PYTHON_VERSIONS="3.12 3.13" picks some of them.
# Every version runs even after one fails; any failure (pytest exit code 5 included) fails.
PYTHON_VERSIONS ?=
pytest-versions: $(BIN)/python
	@found=$$($(PYTHON) .ci/find_pythons.py) && [ -n "$$found" ] || exit 1; \
	echo "ci: Python versions found: $$(echo "$$found" | cut -d' ' -f1 | tr '\n' ' ')"; \
	main=$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	failed=""; \
	while read -r version python; do \
		[ "$$version" = "$$main" ] && continue; \
		if [ -n "$(PYTHON_VERSIONS)" ]; then \
			case " $(PYTHON_VERSIONS) " in *" $$version "*) ;; *) continue ;; esac; \
		fi; \
		venv=.venv-$$version; stamp=$$venv/.installed-dev; \
		echo "ci: Python $$version ($$python)"; \
		stale=""; for input in $(BUILD_INPUTS); do [ $$input -nt $$stamp ] && stale=1; done; \
		if [ ! -f $$stamp ] || [ -n "$$stale" ]; then \
			{ $$python -m venv $$venv \
			&& $$venv/bin/python -m pip install --quiet --upgrade pip \
			&& $$venv/bin/python -m pip install --quiet -e ./emulator -e '.[dev,redis]' \
			&& touch $$stamp; } || { failed="$$failed $$version"; continue; }; \
		fi; \
		$$venv/bin/python -m pytest -W error -p no:cacheprovider $(PYTEST_ARGS) \
			|| failed="$$failed $$version"; \
	done <<< "$$found"; \
	if [ -n "$$failed" ]; then echo "ci: the suite failed on Python$$failed" >&2; exit 1; fi

# Builds both distributions, twine-checks them, installs the wheels into a clean venv and
# runs the examples against them from outside the checkout (.ci/package-check).
package-check: $(STAMP_DEV)
	.ci/package-check $(abspath $(BIN)/python)

# The suite on $(PYTHON), then on every other supported Python found (pytest-versions).
test: lint typecheck pytest pytest-versions package-check

# The documentation site, into site/: README.md, docs/ and the API reference from the
# docstrings (mkdocs.yml). Strict: a broken link or reference fails the build.
$(STAMP_DOCS): $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ./emulator -e '.[docs]'
	touch $@

docs: $(STAMP_DOCS)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .venv-3.* dist .coverage .coverage.* .mypy_cache .ruff_cache .pytest_cache site
	rm -f recrubo_async/_scan.*.so recrubo_async/_decode.*.so
