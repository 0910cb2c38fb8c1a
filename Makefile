# Yiwang (一网交易). Two commands matter: `make run` and `make test`. Everything else is a step of those.
# The environment is made by uv from hashed lock files; uv itself comes from requirements/bootstrap.lock.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_CONFIG := 1
STAMP := $(VENV)/.synced
# The suite runs in one worker per core (pytest-xdist); PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS)

.PHONY: help run test test-fast test-pg test-reliability scaleout-demo lint deps native compiler browser fonts lock seed clean

help:
	@echo "make run      install, migrate, load demo data, start web + worker + clock on http://127.0.0.1:8000"
	@echo "make test     install, lint (ruff, import-linter), check migrations, run the whole test suite"
	@echo "make test-pg  the same suite against a throwaway PostgreSQL 15 on loopback"
	@echo "make test-reliability  the reliability suite on PostgreSQL: kill -9, the whole API fuzzed, probes"
	@echo "make scaleout-demo  PostgreSQL primary + replica, Redis, two app nodes behind nginx (loopback); bursts through it"
	@echo "make lock     recompile requirements/*.lock (with hashes) after editing requirements/*.in"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): $(BIN)/python requirements/bootstrap.lock
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/bootstrap.lock
	@touch $(UV)

# One environment for running and testing; re-synced only when a lock file changes.
$(STAMP): $(UV) requirements/base.lock requirements/dev.lock pyproject.toml
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements/dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	@touch $(STAMP)

deps: $(STAMP) native

# The carbon matching engine compiled with Cython from its own Python source (docs/orderbook.md); quick when up
# to date. Without a C compiler the interpreted engine runs (same source); YIWANG_REQUIRE_NATIVE=1 (CI) makes a
# failed build an error and the suite check that the compiled engine is the one loaded.
native: $(STAMP) compiler
	$(BIN)/python tools/build_native.py $(if $(YIWANG_REQUIRE_NATIVE),--require)

# A C compiler from Debian, only when missing and only where it is required (CI); needs root or sudo.
compiler:
	@command -v cc >/dev/null || [ -z "$(YIWANG_REQUIRE_NATIVE)" ] || { \
	  echo "installing gcc from Debian"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gcc libc6-dev >/dev/null; }

# Debian's chromium and CJK fonts for the browser tests (Playwright drives the system browser; it never
# downloads one). Installed only when missing; needs root or passwordless sudo, as on CI machines.
browser:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "noto.*cjk" || { \
	  echo "installing chromium and fonts-noto-cjk from Debian"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

# CJK fonts for the PDFs of notices, award letters and archives (WeasyPrint); installed only when missing.
fonts:
	@fc-list 2>/dev/null | grep -qi "noto.*cjk" || { \
	  echo "installing fonts-noto-cjk from Debian"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null; }

run: deps fonts
	$(BIN)/yiwang migrate --no-input
	$(BIN)/yiwang seed-demo
	@# one trade on every market, the first time only; a failed demonstration is reported and the site still starts
	-$(BIN)/yiwang demo-markets
	$(BIN)/yiwang collectstatic --no-input --verbosity 0
	$(BIN)/yiwang run

lint: deps
	$(BIN)/ruff check src tests tools bench
	$(BIN)/ruff format --check src tests tools bench
	$(BIN)/lint-imports
	YIWANG_DATA_DIR=$$(mktemp -d) $(BIN)/yiwang makemigrations --check --dry-run

test: lint browser
	$(PYTEST) --ignore=tests/reliability --durations=15

# The suite without the browser journeys (quick local loop).
test-fast: lint
	$(PYTEST) -m "not e2e" --ignore=tests/reliability

test-pg: deps browser
	tools/pg-test-server run -- $(PYTEST) --ignore=tests/reliability

# The reliability suite (tests/reliability): kill -9 of the server during bid uploads, an auction burst, an order
# burst and bank notices (with the clock), and of a federation hub; schemathesis over the whole OpenAPI document,
# every write refused to an anonymous caller, the authorization matrix, CSRF/XSS/IDOR probes — on PostgreSQL, as
# .ci/run runs it.
test-reliability: deps
	tools/pg-test-server run -- $(PYTEST) -m reliability tests/reliability

# The scale-out topology on this machine (docs/deploy/scaling.md); installs PostgreSQL, Redis and nginx from Debian.
scaleout-demo: deps fonts
	$(BIN)/python tools/scaleout_demo.py

lock: $(UV)
	$(UV) pip compile --quiet --python $(BIN)/python --generate-hashes --no-header requirements/base.in -o requirements/base.lock
	$(UV) pip compile --quiet --python $(BIN)/python --generate-hashes --no-header requirements/dev.in -o requirements/dev.lock
	$(UV) pip compile --quiet --python $(BIN)/python --generate-hashes --no-header requirements/bootstrap.in -o requirements/bootstrap.lock

clean:
	rm -rf $(VENV) var .hypothesis
