# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite test-postgres lint format bench screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Serves http://localhost:8000 (PORT=..., HOST=... to change) on SQLite under ./pnyx-data.
run: install
	PNYX_DOMAIN=$${PNYX_DOMAIN:-localhost:$${PORT:-8000}} $(BIN)/pnyx serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

# Runs the whole suite on SQLite, and again on PostgreSQL when PNYX_TEST_DATABASE_URL is set.
# --dist loadgroup keeps each browser-test module (one `pnyx serve` each) on one worker.
# The browser tests need Debian's chromium (apt-get install chromium) and npm; without them
# they skip and say so.
test: install
	$(BIN)/pytest -n 2 --dist loadgroup -q

# One database only: the storage tests' ids end in [sqlite] or [postgres].
test-sqlite: install
	PNYX_TEST_DATABASE_URL= $(BIN)/pytest -n 2 --dist loadgroup -q

test-postgres: install
	@test -n "$$PNYX_TEST_DATABASE_URL" || { echo "Set PNYX_TEST_DATABASE_URL=postgresql://user@host:5432/dbname first."; exit 2; }
	$(BIN)/pytest -n 2 --dist loadgroup -q -k postgres

# ruff, the layering contracts of pyproject.toml ([tool.importlinter]), then the type checker
# on core and db ([tool.mypy]).
lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench tools
	$(BIN)/ruff format src tests bench tools

bench: install
	$(BIN)/python bench/timeline.py --small

# PNGs of the main pages (desktop and phone width) into docs/screenshots/; needs chromium.
screenshots: install
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) pnyx-data .pytest_cache .mypy_cache
