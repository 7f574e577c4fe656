# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck check clean

$(STAMP): pyproject.toml constraints.txt package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@# Front-end assets (ECharts, Swagger UI, ReDoc; axe-core for the tests) from the
	@# npm registry, exactly as package-lock.json pins them; served from our origin.
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP)

## Start the portal (and, once built, the four region nodes) on the embedded default.
run: install
	$(BIN)/delta demo serve

## Install everything the tests need, then run the whole suite.
test: install
	scripts/ensure-test-prereqs
	$(BIN)/pytest -n 3 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy delta standards signing search datasets open_portal interregion

check: lint typecheck

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
