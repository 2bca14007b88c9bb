# The three commands a person needs: `make run`, `make test`, `make bench`. See README.md.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
# The newest Python 3.11+ on this machine builds the virtualenv.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
export PYTHONUNBUFFERED := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test bench lint format install clean

help:
	@echo "make run    start the portal, a worker and a local demo store on http://127.0.0.1:8000/"
	@echo "make test   lint and run the whole test suite"
	@echo "make bench  measure the numbers in bench/RESULTS.md (slow; not part of make test)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, 3.12 or 3.13 on PATH)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed

# Local defaults for the embedded set-up; anything already set in the environment or .env wins.
run: export DEBUG ?= true
run: export SHOPIFY_SHOP_DOMAIN ?= devstore.myshopify.com
run: export SHOPIFY_API_BASE_URL ?= http://127.0.0.1:8765
run: export SHOPIFY_ACCESS_TOKEN ?= shpat_devstore_local_token
run: export SHOPIFY_API_SECRET ?= devstore-webhook-secret
run: export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
run: $(VENV)/.runtime-installed
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py create_demo_admin
	@echo
	@echo "  Portal:        http://127.0.0.1:8000/"
	@echo "  Merchant admin: http://127.0.0.1:8000/admin/  (user: admin, password: portal-demo-admin)"
	@echo "  Health:        http://127.0.0.1:8000/healthz"
	@echo "  Ctrl-C stops the web server, the worker and the demo store together."
	@echo
	honcho -f Procfile.dev start

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: export DEBUG ?= true
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: export DEBUG ?= true
bench: $(VENV)/.dev-installed
	$(PY) -m bench

clean:
	rm -rf var/celery var/cache var/staticfiles
