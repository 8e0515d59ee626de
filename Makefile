# The two commands: `make run` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint bench clean registry

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps are remade whenever pyproject.toml changes, so dependency changes are picked up.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[model]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[model,test]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/python -m pollama.default_model

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# The registry tests run a real OCI registry: Debian's docker-registry package.
registry:
	@command -v docker-registry >/dev/null 2>&1 || test -x /usr/bin/docker-registry || \
	  { (apt-get update -qq && apt-get install -y -qq docker-registry) >/dev/null || \
	    sudo sh -c 'apt-get update -qq && apt-get install -y -qq docker-registry' >/dev/null; }

test: lint registry
	$(BIN)/pytest

# The fast tests only: no real server, runner or model (those are marked e2e / engine).
test-fast: $(VENV)/.test-installed
	$(BIN)/pytest -m "not e2e and not engine"

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/grammar.py
	$(BIN)/python benchmarks/adapters.py
	$(BIN)/python benchmarks/compare.py --write-readme

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
