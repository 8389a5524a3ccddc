# The two commands: `make run` (embedded mode, nothing else needed) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQS_HASH)

# make test talks to the machine's PostgreSQL, Redis and RabbitMQ unless told otherwise
# (the integration tests purge the queues of the broker's virtual host).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/warble
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672//
TEST_ENV := DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} WARBLE_REQUIRE_SERVICES=1
PROD_CHECK_ENV := DJANGO_ENV=production SECRET_KEY=ci-only-$(shell printf '%064d' 0) ALLOWED_HOSTS=warble.example DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)

.PHONY: install run test lint format migrations-check schema-check deploy-check ci bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(TEST_ENV) $(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

schema-check: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

deploy-check: install
	$(PROD_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

ci: test lint migrations-check schema-check deploy-check

# The performance harness (bench/README.md): drops/re-creates the database of
# BENCH_DATABASE_URL (default warble_bench) and FLUSHDBs BENCH_REDIS_URL (default db 8).
BENCH_SCALE ?= small

bench: install
	$(PY) -m bench --scale $(BENCH_SCALE)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
