# The three commands a person needs: `make run`, `make test`, `make bench`. See README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
# The newest Python 3.11+ on this machine builds the virtualenv.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
export PYTHONUNBUFFERED := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test test-slow test-all bench lint format install install-dev lock clean browser-deps

help:
	@echo "make run    start the portal, a worker and a local demo store on http://127.0.0.1:8000/"
	@echo "make test       lint (ruff, mypy) and the test suite, minus the slow tier (about 2 minutes)"
	@echo "make test-slow  the slow tier: real browsers, real Celery workers, the short soak, a big import"
	@echo "make test-all   both, as CI runs them"
	@echo "make lock       recompile the hashed dependency locks after editing a requirements*.in"
	@echo "make bench  measure the numbers in bench/RESULTS.md (slow; not part of make test)"
	@echo "make soak   the whole system under faults for at most 10 minutes; writes bench/SOAK.md"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, 3.12 or 3.13 on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Dependencies come from hashed locks, each complete on its own: requirements.txt (production, the
# Dockerfile's), requirements-local.txt (that plus what `make run` starts), requirements-dev.txt (that plus
# tests, lint and type checks). The dev lock holds the local one's versions, so installing it satisfies both.
$(VENV)/.runtime-installed: requirements-local.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-local.txt
	@touch $@

$(VENV)/.dev-installed: requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed

install-dev: $(VENV)/.dev-installed

# After editing a requirements*.in: recompile the three locks, in this order (each is constrained by the one
# before it, so a package has one version everywhere). Versions already locked stay unless an .in moves
# them; `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package NAME`) moves the unpinned ones too.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: $(VENV)/.dev-installed
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-local.txt requirements-local.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# Local defaults for the embedded set-up; anything already set in the environment or .env wins.
run: export DEBUG ?= true
run: export SHOPIFY_SHOP_DOMAIN ?= devstore.myshopify.com
run: export SHOPIFY_API_BASE_URL ?= http://127.0.0.1:8765
# The devstore plays a Dev Dashboard app's store: the portal gets its tokens by client credentials (and
# renews them), the client secret signs the webhooks.
run: export SHOPIFY_CLIENT_ID ?= devstore-client-id
run: export SHOPIFY_CLIENT_SECRET ?= devstore-client-secret
run: export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
run: $(VENV)/.runtime-installed
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py create_demo_admin
	$(PY) manage.py seed_demo
	@echo
	@echo "  Shopper portal:  http://127.0.0.1:8000/"
	@echo "                   sign in as demo@example.com (or demo-ko@example.com, in Korean): the one-time"
	@echo "                   sign-in code is printed in this console, in the 'web' lines."
	@echo "  Merchant admin:  http://127.0.0.1:8000/admin/  (user: admin, password: portal-demo-admin)"
	@echo "  Demo store:      http://127.0.0.1:8765/_devstore/orders  (a local stand-in for Shopify)"
	@echo "  Health:          http://127.0.0.1:8000/healthz"
	@echo "  The worker imports the demo store's orders as it starts; Ctrl-C stops everything."
	@echo
	honcho -f Procfile.dev start

# mypy's Django plugin imports the settings, which need DEBUG (or production's secrets) to load.
lint: export DEBUG ?= true
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here). Installed when we
# can (root with apt-get); otherwise those tests skip and say so.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium and a Korean font for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	      >/dev/null) || echo "Could not install chromium: the browser tests will be skipped."; \
	  else \
	    echo "No /usr/bin/chromium: the browser tests will be skipped (apt-get install chromium fonts-noto-cjk)."; \
	  fi; \
	fi

# The suite runs on every core (pytest-xdist; each worker has its own test database, cache prefix,
# devstore and queues). Tests marked `slow` (browsers, worker processes, the short soak: see pyproject.toml)
# are the second tier: `make test-slow`, and CI runs both. `PYTEST_ARGS` adds options or narrows the run.
TEST_WORKERS ?= auto

test: export DEBUG ?= true
test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

test-slow: export DEBUG ?= true
test-slow: $(VENV)/.dev-installed browser-deps
	$(PY) -m pytest -n $(TEST_WORKERS) -m slow $(PYTEST_ARGS)

test-all: test test-slow

bench: export DEBUG ?= true
bench: $(VENV)/.dev-installed
	$(PY) -m bench

# The soak: the whole system under faults for at most 10 minutes, then one line of reconciliation
# (see soak/). Needs redis-server and PostgreSQL on 127.0.0.1:5432; writes bench/SOAK.md.
.PHONY: soak soak-short
soak: $(VENV)/.dev-installed
	$(PY) -m soak --requests 2000 --minutes 10

# The version CI runs (also as soak/tests/test_soak_short.py): 200 requests, a 10-second Redis outage.
soak-short: $(VENV)/.dev-installed
	$(PY) -m soak --requests 200 --minutes 4 --redis-outage-seconds 10 --report var/soak/SOAK-short.md

clean:
	rm -rf var/celery var/cache var/staticfiles
