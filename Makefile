# The two commands: `make run` (embedded mode, nothing else needed) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQS_HASH)

# Where `make run` serves (HOST=0.0.0.0 for every interface).
HOST ?= 127.0.0.1
PORT ?= 8000
# runserver answers only the host names in ALLOWED_HOSTS: add HOST to the defaults.
RUN_ENV := ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost,$(HOST)}

# make test talks to the machine's PostgreSQL, Redis and RabbitMQ unless told otherwise
# (the integration tests purge the queues of the broker's virtual host).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/warble
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672//
TEST_ENV := DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} WARBLE_REQUIRE_SERVICES=1
# Checks that read no data run against an in-memory SQLite database, whatever
# DATABASE_URL says (makemigrations would otherwise connect to that database).
NO_SERVICES_ENV := DATABASE_URL=sqlite://:memory: REDIS_URL=
PROD_CHECK_ENV := DJANGO_ENV=production SECRET_KEY=ci-only-$(shell printf '%064d' 0) ALLOWED_HOSTS=warble.example DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)

# The schemathesis battery (tests/security/test_schemathesis.py) against a live gunicorn,
# alone and with schemathesis' output; `make test` runs it too. WARBLE_FUZZ_EXAMPLES
# (default 50) bounds the examples per operation.
.PHONY: fuzz
fuzz: install
	$(TEST_ENV) $(PY) -m pytest tests/security/test_schemathesis.py -s

.PHONY: browser-deps install run test lint lint-imports types format migrations-check schema-check deploy-check ci bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@echo "Installing the pinned requirements into $(VENV) (about a minute the first time) ..."
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	# --no-compile: compiling every installed module up front was 65 of the install's
	# 128 s on a slow machine; Python compiles (and caches) what is imported, when it is.
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-compile -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# The browser tests (tests/browser) drive Debian's Chromium with Playwright; the
# browser comes from Debian's packages, never from a download. Installed only when
# missing; non-interactive (CI=true, no stdin). Needs root, as CI and this machine have.
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests ..."; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq < /dev/null && \
		apt-get install -y -qq --no-install-recommends chromium < /dev/null; \
	fi
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: the browser tests will fail"; exit 1; }

run: install
	@echo "Migrating the SQLite database in var/ ..."
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo --host $(HOST) --port $(PORT)
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The unit tests in two processes (pytest-xdist, a file to a process: tests/settings.py
# gives each its own databases, Redis database and virtual host), then the integration
# tests, also two files at a time: they start servers, workers and brokers on ports
# and private services of their own, and most of their time is waiting (soaks past
# every idle timeout, restarts), which one at a time made `make test` 25 minutes on a
# slow machine. Both run whatever the first gave; the exit status fails if either failed.
test: install browser-deps
	@unit=0; integration=0; \
	$(TEST_ENV) $(PY) -m pytest -m "not integration" -n 2 --dist loadfile || unit=$$?; \
	$(TEST_ENV) $(PY) -m pytest -m integration -n 2 --dist loadfile || integration=$$?; \
	echo "make test: unit tests exit $$unit, integration tests exit $$integration"; \
	[ $$unit -eq 0 ] && [ $$integration -eq 0 ]

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# DESIGN.md's import rule: app layers, no app imports another's api, no cycles.
lint-imports: install
	$(VENV)/bin/lint-imports

# mypy --strict over core and every services/selectors/handlers/events module
# (the files are listed in pyproject.toml, [tool.mypy]).
types: install
	$(PY) -m mypy

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrations-check: install
	$(NO_SERVICES_ENV) $(PY) manage.py makemigrations --check --dry-run

schema-check: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

deploy-check: install
	$(PROD_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

ci: test lint lint-imports types migrations-check schema-check deploy-check

# The performance harness (bench/README.md): drops/re-creates the database of
# BENCH_DATABASE_URL (default warble_bench), FLUSHDBs BENCH_REDIS_URL (default db 8) and purges
# the queues of BENCH_BROKER_URL (default: the RabbitMQ virtual host warble_bench).
BENCH_SCALE ?= small

bench: install
	$(PY) -m bench --scale $(BENCH_SCALE)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
