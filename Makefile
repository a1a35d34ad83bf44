# HDX: `make run` serves the exchange on SQLite; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: run test lint setup migrate migration frontend bench clean

$(STAMP): backend/requirements-dev.lock backend/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(PY) -r backend/requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e backend
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(VENV)/bin/hdx migrate

run: migrate
	$(VENV)/bin/hdx run --host 0.0.0.0 --port 8000

lint: setup
	cd backend && ../$(VENV)/bin/ruff check hdx tests ../bench && ../$(VENV)/bin/ruff format --check hdx tests ../bench
	cd backend && ../$(VENV)/bin/mypy

test: lint
	cd backend && ../$(VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Regenerates the initial migration from the models (the schema has not been released yet).
migration: setup
	tmp=$$(mktemp -d) && rm -f backend/migrations/versions/*_initial.py && \
	  cd backend && HDX_DATABASE_URL=sqlite+aiosqlite:///$$tmp/schema.db ../$(VENV)/bin/alembic revision --autogenerate --rev-id 0001 -m initial >/dev/null && \
	  rm -rf $$tmp
	cd backend && ../$(VENV)/bin/ruff format migrations/versions >/dev/null && ../$(VENV)/bin/ruff check --fix --select I,F401 migrations/versions >/dev/null || true

clean:
	rm -rf $(VENV) var
