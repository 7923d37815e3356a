# The same verbs for everything: up, test, lint, fmt, migrate, bench.
# Needs nothing but Python >= 3.11: the rest (NATS and Caddy included) installs into .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python >= 3.11 on PATH, unless PYTHON=... is given.
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)

VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared services/accounts services/actionplans services/contracts \
	services/market-intel services/reporting services/inbox cli
MYPY_PACKAGES := tread_shared tread_accounts tread_actionplans tread_contracts \
	tread_market_intel tread_reporting tread_inbox tread_cli
# Reinstall only when what is installed changes: the stamp's name carries their hash.
INSTALL_INPUTS := $(addsuffix /pyproject.toml,$(PACKAGES)) requirements-dev.txt
INSTALL_HASH := $(shell cat $(INSTALL_INPUTS) 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(INSTALL_HASH)

.PHONY: help up test fuzz lint fmt migrate bench scale-test scale-test-short install

help:
	@echo "make up       install into .venv and run everything (tread up)"
	@echo "make test     install into .venv and run the whole test suite"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make fmt      ruff format and safe fixes"
	@echo "make migrate  bring every service's database to head (tread migrate)"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make scale-test  kill -9 under load, scaled out on PostgreSQL (TREAD_POSTGRES_URL)"
	@echo "make scale-test-short  one kill (by the commit), 10 s of writes: what CI runs"
	@echo "make fuzz     the API fuzzer with every role and a larger budget (FUZZ_EXAMPLES=...)"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is needed (or set PYTHON=...)"; exit 1; }
	@# Debian/Ubuntu ship venv without ensurepip unless python3-venv is installed:
	@# then make the venv without pip and bootstrap pip into it.
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) && \
		$(PYTHON) -c "import urllib.request; \
			print(urllib.request.urlopen('https://bootstrap.pypa.io/get-pip.py').read().decode())" \
			| $(BIN)/python - --quiet; }

$(STAMP): $(BIN)/python
	rm -f $(VENV)/.installed-*
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-e 'shared[test]' $(addprefix -e ,$(filter-out shared,$(PACKAGES))) -r requirements-dev.txt
	touch $@

install: $(STAMP)

up: install
	$(BIN)/tread up

# Two worker processes, each test file on one of them (see shared/pyproject.toml).
PYTEST_PARALLEL ?= -n 2 --dist loadfile

test: install
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The suite fuzzes each service as one role with 2 cases an operation; this runs every role on
# every service, the coverage phase too, with FUZZ_EXAMPLES cases an operation. Six roles on a
# service take longer than the suite's 300 s a test (which cut every run short): no test timeout
# here, each role's fuzzer run is bounded by its own (900 s).
FUZZ_EXAMPLES ?= 25
fuzz: install
	TREAD_FUZZ_ROLES=all TREAD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) TREAD_FUZZ_SEED=random \
		TREAD_FUZZ_PHASES=examples,coverage,fuzzing,stateful \
		$(BIN)/pytest tests/contract/test_fuzz.py --timeout=0

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(addprefix -p ,$(MYPY_PACKAGES))

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(BIN)/tread migrate

bench: install
	@shopt -s nullglob; benches=(bench/[!_]*.py); benches=($${benches[@]/bench\/scale_test.py}); \
	if [ $${#benches[@]} -eq 0 ]; then echo "no benchmarks in bench/"; fi; \
	for bench in "$${benches[@]}"; do echo "== $$bench"; $(BIN)/python "$$bench" || exit 1; done

# Three NATS nodes, two replicas of accounts and reporting, writes at 30/s, and in each run one
# kill -9: the stream leader, an accounts replica, a reporting replica, the relay lease holder,
# the leader and the holder. Fails if a write the client saw acknowledged is lost or doubled.
SCALE_KILLS ?= stream-leader accounts reporting relay leader+relay
scale-test: install
	@for kill in $(SCALE_KILLS); do echo "== kill $$kill"; \
		$(BIN)/python bench/scale_test.py --kill $$kill || exit 1; done

# The same checks in about a minute: one kill, rotating with the commit count through the five,
# 10 s of writes at 10/s. CI runs it after its PostgreSQL pass.
scale-test-short: install
	@$(BIN)/python bench/scale_test.py --kill rotate --seconds 10 --rate 10
