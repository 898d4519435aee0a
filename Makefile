# The two commands: `make run` (the app) and `make test` (lint + the whole test suite).
# Each creates .venv at the repo root when missing and installs what changed since.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
N ?= 2

.PHONY: run servers test lint reset-db migrate migration messages backup restore bench-deps

# the compiled French catalogue: generated from its .po by the set-up (never committed)
MO := locales/fr/LC_MESSAGES/messages.mo

# streamlit run Home.py, with the first page's imports and database start-up done while the
# server starts (ui/serve.py)
run: $(VENV)/.app-deps $(MO)
	$(BIN)/python -m ui.serve --server.port $(PORT)

# N app processes behind nginx on one address (PORT), on the database of DATABASE_URL:
# see the README's "Running several servers"
servers: $(VENV)/.app-deps $(MO)
	$(BIN)/python -m tools.servers -n $(N) --port $(PORT)

test: $(VENV)/.test-deps $(MO) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

reset-db: $(VENV)/.app-deps
	$(BIN)/python -m demo.seed --reset

# upgrade the database of DATABASE_URL to this version's schema (the app also does it at start-up)
migrate: $(VENV)/.app-deps
	$(BIN)/python -m tools.migrate

# developers: write a new revision from what the models changed, e.g. make migration MSG="add x"
migration: $(VENV)/.app-deps
	$(BIN)/python -m tools.migrate
	$(BIN)/alembic revision --autogenerate -m "$(MSG)"

# the database to one file under data/backups/ (or OUT=path), and back (FILE=path, FORCE=1 to
# replace a database that holds data): see the README's "Backups"
backup: $(VENV)/.app-deps
	$(BIN)/python -m tools.backup create $(if $(OUT),--out $(OUT))

restore: $(VENV)/.app-deps
	$(if $(FILE),,$(error usage: make restore FILE=path/to/backup [FORCE=1]))
	$(BIN)/python -m tools.backup restore $(FILE) $(if $(FORCE),--force)

# extract the marked strings, update the catalogues, compile them (then translate the new ones)
messages: $(VENV)/.app-deps
	$(BIN)/python -m tools.i18n update

$(MO): locales/fr/LC_MESSAGES/messages.po $(VENV)/.app-deps
	$(BIN)/python -m tools.i18n compile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-deps: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# requirements-model.txt takes torch's CPU-only build from PyTorch's wheel index (not PyPI's
# CUDA build); on its own pip call, so that only the model tools are looked up there, and
# with one retry, so that a machine that cannot reach that index (CI's: it holds the wheel
# locally) moves on at once instead of retrying for minutes.
$(VENV)/.test-deps: $(VENV)/.app-deps requirements-model.txt requirements-dev.txt requirements-postgres.txt
	$(BIN)/pip install --quiet --retries 1 -r requirements-model.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -r requirements-postgres.txt
	touch $@

# what the benchmarks under bench/ import besides the rest (usearch, sqlite-vec)
bench-deps: $(VENV)/.bench-deps

$(VENV)/.bench-deps: $(VENV)/.test-deps requirements-bench.txt
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@
