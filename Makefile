# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_TOOLS := node_modules/.package-lock.json
FIXTURE := fixtures/seed.json
FIXTURE_DB := $(CURDIR)/.fixture-build.sqlite3
FIXTURE_MODELS := posts.author posts.post posts.originalurl posts.relatedentry \
	taggit.tag taggit.taggeditem comments.comment

.PHONY: install node-tools run serve worker test lint format messages fixtures clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# axe-core and the Nu HTML Checker for the browser checks; --ignore-scripts stops
# vnu-jar from downloading a Java runtime (the system one is used).
$(NODE_TOOLS): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --ignore-scripts --no-audit --no-fund; \
	else echo "npm not found: accessibility and HTML checks will be skipped"; fi

node-tools: $(NODE_TOOLS)

# `PORT=8001 make run` (or `make run PORT=8001`) serves on another port.
PORT ?= 8000

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_site
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The production stack on this machine: PostgreSQL, Redis, WhiteNoise and gunicorn
# (README "Serving in production"). psql and createdb read PGHOST, PGPORT, PGUSER and
# PGPASSWORD as usual.
PGHOST ?= 127.0.0.1
PGPORT ?= 5432
PGUSER ?= postgres
SERVE_DATABASE ?= msblog
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
SERVE_PORT ?= 8080
SERVE_ENV = DJANGO_ENV=production SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0 \
	ALLOWED_HOSTS=$${ALLOWED_HOSTS:-localhost,127.0.0.1} \
	SECRET_KEY="$$(cat .dev-secret-key)" \
	DATABASE_URL=postgres://$(PGUSER)@$(PGHOST):$(PGPORT)/$(SERVE_DATABASE) \
	REDIS_URL=$(SERVE_REDIS_URL) GUNICORN_BIND=$${GUNICORN_BIND:-127.0.0.1:$(SERVE_PORT)}
export PGHOST PGPORT PGUSER

serve: install
	@test -f .dev-secret-key || $(PY) manage.py check -v0
	@psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$(SERVE_DATABASE)'" postgres \
		| grep -q 1 || createdb $(SERVE_DATABASE)
	$(SERVE_ENV) $(PY) manage.py migrate --noinput
	$(SERVE_ENV) $(PY) manage.py setup_site
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(SERVE_ENV) exec $(VENV)/bin/gunicorn -c gunicorn.conf.py msblog.wsgi

# Sends the queued comment emails (TASKS_BACKEND=database); see README "Email".
worker: install
	TASKS_BACKEND=database $(PY) manage.py worker

test: install lint node-tools
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The Spanish catalog (README "Translations"): collect the marked strings into
# msblog/locale/es/LC_MESSAGES/django.po, then compile the django.mo that is committed.
MESSAGES_IGNORE := -i '.venv/*' -i 'node_modules/*' -i 'tests/*' -i 'benchmarks/*' -i 'staticfiles/*'
messages: install
	$(PY) manage.py makemessages -l es --no-obsolete $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages -l es $(MESSAGES_IGNORE)

# Rebuild the seed fixture from the captured pages, through the importer.
fixtures: install
	rm -f $(FIXTURE_DB)
	DATABASE_URL=sqlite:///$(FIXTURE_DB) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=sqlite:///$(FIXTURE_DB) $(PY) manage.py import_pages
	DATABASE_URL=sqlite:///$(FIXTURE_DB) $(PY) manage.py dumpdata $(FIXTURE_MODELS) \
		--natural-foreign --indent 2 -o $(FIXTURE)
	rm -f $(FIXTURE_DB)*

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache test-output
