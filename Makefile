# medservice: `make run` serves the demo, `make test` passes the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := run
export PATH := $(HOME)/.local/bin:$(HOME)/.cargo/bin:$(PATH)
export UV_LINK_MODE ?= copy

UV ?= uv
PY := $(UV) run --frozen python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/medservice
# Debian packages the app needs at run time (PDF rendering and CJK fonts) and for tests.
APT_RUNTIME := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 gettext
APT_TEST := chromium poppler-utils

.PHONY: run static test install deps system-deps test-system-deps messages messages-extract migrate demo lint check \
        test-sqlite test-postgres clean bench

# Served like production: hashed static files with their brotli/gzip copies, cached for ever
# (a hospital's network is slow). collectstatic runs again only when a static file changed.
run: install migrate demo static
	SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" MEDSERVICE_STATIC_COLLECTED=1 $(PY) manage.py serve --port $(PORT)

STATIC_MANIFEST := $(or $(STATIC_ROOT),$(or $(MEDSERVICE_VAR_DIR),var)/staticfiles)/staticfiles.json
STATIC_SOURCES := $(shell find static */static -type f 2>/dev/null) uv.lock

static: $(STATIC_MANIFEST)

$(STATIC_MANIFEST): $(STATIC_SOURCES) | deps
	MEDSERVICE_STATIC_COLLECTED=1 $(PY) manage.py collectstatic --noinput -v 0

install: deps system-deps messages

deps:
	@command -v $(UV) >/dev/null 2>&1 || { echo "installing uv"; \
	  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv; }
	$(UV) sync --frozen --compile-bytecode
	@# Bytecode for our own modules too: every process the suite starts (and each pytest
	@# worker) otherwise compiles them again when PYTHONDONTWRITEBYTECODE is set.
	$(PY) -m compileall -q -x '/\.' .

# apt-get only as root and only for what is missing; otherwise say what to install.
system-deps:
	@bash scripts/apt-ensure.sh $(APT_RUNTIME)

test-system-deps:
	@bash scripts/apt-ensure.sh $(APT_RUNTIME) $(APT_TEST)

messages: deps
	$(PY) manage.py compilemessages --ignore=.venv -v 0

# For developers: refresh the zh-hans catalogue from the source, then translate what is new.
messages-extract: deps
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete -v 1 \
	  -i ".venv/*" -i "var/*" -i "static/*" -i "tests/*" -i "*/tests/*" -i "*/migrations/*"

migrate: deps
	$(PY) manage.py migrate --noinput -v 0

demo: migrate
	$(PY) manage.py seed_demo --once

lint: deps
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy  # the whole tree but migrations: [tool.mypy] files in pyproject.toml
	$(PY) manage.py makemigrations --check --dry-run

test: deps test-system-deps messages lint test-sqlite test-postgres

# The schemathesis run against the served demo (marker `fuzz`, minutes) runs once: on
# PostgreSQL, the production database, when the PostgreSQL run follows; else here.
test-sqlite:
	@if [ -n "$$TEST_DATABASE_URL" ] || $(PY) scripts/pg_available.py "$(PG_URL)"; then \
	  select="not fuzz"; else select=""; fi; \
	$(UV) run --frozen pytest -q -n 2 --dist loadfile -m "$$select"

# The same suite on PostgreSQL when a server answers (or TEST_DATABASE_URL names one).
test-postgres:
	@if [ -n "$$TEST_DATABASE_URL" ]; then url="$$TEST_DATABASE_URL"; \
	elif $(PY) scripts/pg_available.py "$(PG_URL)"; then url="$(PG_URL)"; \
	else echo "PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL run skipped"; exit 0; fi; \
	echo "pytest on PostgreSQL ($$url)"; \
	TEST_DATABASE_URL="$$url" $(UV) run --frozen pytest -q -n 2 --dist loadfile

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache .mypy_cache

# Not a test: figures for docs/benchmarks.md, on PostgreSQL (BENCH_DATABASE_URL; visit
# generation: BENCH_MAINTENANCE_DATABASE_URL, BENCH_DEVICES=100000; spare parts:
# BENCH_STOCK_DATABASE_URL, BENCH_STOCK_MOVEMENTS=5000000; one of them: python -m bench --only stock;
# the "my jobs" page under Slow 4G, with chromium and the demo served as `make run` does:
# python -m bench --only page_weight).
bench: deps
	$(PY) -m bench
