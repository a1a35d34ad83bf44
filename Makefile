# HDX: `make run` serves the exchange on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: run test lint setup migrate migration frontend frontend-test bench clean

$(STAMP): backend/requirements-dev.lock backend/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(PY) -r backend/requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e backend
	touch $(STAMP)

setup: $(STAMP)

# The dashboard: a static export in frontend/out that `hdx run` serves at /.
FRONTEND_STAMP := frontend/node_modules/.installed
FRONTEND_SOURCES := $(shell find frontend/src -type f 2>/dev/null) \
	$(addprefix frontend/,package.json package-lock.json next.config.ts tsconfig.json postcss.config.mjs)
export NEXT_TELEMETRY_DISABLED := 1

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(FRONTEND_STAMP)

frontend/out/index.html: $(FRONTEND_STAMP) $(FRONTEND_SOURCES)
	cd frontend && npm run build

frontend: frontend/out/index.html

frontend-test: $(FRONTEND_STAMP)
	cd frontend && npx vitest run && npx tsc --noEmit && npx eslint .

migrate: setup
	$(VENV)/bin/hdx migrate

# HDX_HOST and HDX_PORT (environment or `make run HDX_PORT=8080`) choose the address.
run: migrate frontend
	$(VENV)/bin/hdx run --host $(or $(HDX_HOST),0.0.0.0) --port $(or $(HDX_PORT),8000)

lint: setup
	cd backend && ../$(VENV)/bin/ruff check hdx tests ../bench && ../$(VENV)/bin/ruff format --check hdx tests ../bench
	cd backend && ../$(VENV)/bin/mypy

# The browser test (backend/tests/e2e) drives the built dashboard, so the build comes first.
test: lint frontend-test frontend
	cd backend && ../$(VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Every benchmark, one after the other; each replaces its own section of bench/RESULTS.md.
# bench/e2e.py runs the MPyC peer (bench/mpyc_sum.py) in the same run and writes its section too;
# bench/regression.py runs OLS and logistic regression over 5 agent processes and every protocol.
bench: setup
	$(PY) bench/kernels.py
	$(PY) bench/paillier.py
	$(PY) bench/ingest.py
	$(PY) bench/e2e.py
	$(PY) bench/regression.py

# Regenerates the initial migration from the models (the schema has not been released yet). The file
# keeps its name, and stays untouched when the models did not change (backend/migrations/regenerate.py).
migration: setup
	cd backend && ../$(VENV)/bin/python migrations/regenerate.py

clean:
	rm -rf $(VENV) var frontend/node_modules frontend/.next frontend/out
