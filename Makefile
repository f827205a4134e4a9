# Two commands: `make run` starts MAIS with demo data; `make test` runs the whole suite.
# Both create the virtualenv and install the locked dependencies on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# This machine's pip config names local mirror folders that may not exist; the public index is enough.
PIP := PIP_EXTRA_INDEX_URL= $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint format audit install browser clean lock migration screenshots docs

run: $(STAMP)
	$(BIN)/mais serve

test: $(STAMP) browser
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "MAIS needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -r requirements.lock
	$(PIP) --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Browser tests drive the system Chromium (never a downloaded one).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium"; \
	    exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

audit: $(STAMP)
	$(BIN)/pip-audit --strict -r requirements.lock --disable-pip --no-deps
	$(BIN)/bandit -q -c pyproject.toml -r src

lock:
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# New Alembic revision from the models: make migration m="add foo"
migration: $(STAMP)
	$(BIN)/python scripts/new_migration.py "$(m)"

# Refresh the README's widget screenshots (docs/screenshots/) from the demo tenant.
screenshots: $(STAMP) browser
	MAIS_SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/widget/test_screenshots.py -k sqlite -q

# Rewrite docs/configuration.md from the settings (a test fails when it is stale).
docs: $(STAMP)
	$(BIN)/mais config-reference
