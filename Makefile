# Two commands for a newcomer: `make demo` (install, then serve the demo province) and
# `make test` (install the test extras, then run the whole suite). See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: install install-test demo test test-scale services system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python system-deps
	$(BIN)/pip install --quiet -e . -e 'clients/python[verify]'

install-test: $(BIN)/python
	bash scripts/system-deps.sh  # Chromium for the console's browser tests, CJK fonts
	$(BIN)/pip install --quiet -e '.[test,postgres,redis]' -e 'clients/python[verify]'
	cd clients/typescript && npm ci --no-audit --no-fund --silent

demo: install
	$(BIN)/tongban serve --demo --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	cd clients/python && ../../$(BIN)/python -m pytest -q

# The same suite against PostgreSQL and the Redis bus (this machine's local services).
test-scale: install-test services
	TONGBAN_TEST_DATABASE_URL='$(PG_URL)' TONGBAN_TEST_BUS_URL='$(REDIS_URL)' \
		$(BIN)/python -m pytest -q $(PYTEST_ARGS)

services:
	@bash scripts/services.sh

# Debian packages beyond Python (free CJK fonts for issued documents, Chromium); only what is
# missing is installed.
system-deps:
	@bash scripts/system-deps.sh
