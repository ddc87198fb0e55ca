# Relay: `make run` sets everything up and runs the product; `make test` runs every check.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
# The interpreter named by .python-version (pyenv), else a python3.13 on the PATH.
BASE_PYTHON := $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/$(PYTHON_VERSION)/bin/python) $(shell command -v python3.13))
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
WEB_PROCESSES ?= 1

.PHONY: run test install browser format bench clean

run: $(VENV)/.installed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py bootstrap
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --web-processes $(WEB_PROCESSES)

test: $(VENV)/.installed node_modules/.installed browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

install: $(VENV)/.installed node_modules/.installed

# The browser SDKs the browser tests load from the page of another origin (pinned by package-lock.json;
# nothing from a CDN). Node 20 and npm come with the machine (or Debian's nodejs and npm packages).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

$(VENV)/.installed: pyproject.toml .python-version
	@test -n "$(BASE_PYTHON)" || (echo "Python $(PYTHON_VERSION) not found: install it with pyenv" && exit 1)
	test -x $(PY) || $(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --group dev
	touch $@

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# wrk (Debian) loads the ingest endpoints without taking the server's CPU.
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/engine.py
	$(PY) bench/preview.py
	$(PY) bench/privacy_rules.py
	$(PY) bench/pipeline.py

clean:
	rm -rf $(VENV) node_modules
