# Two set-up commands on a fresh machine: `make run` and `make test`. Both create the venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY := false

.PHONY: install lock browser screenshots run run-pg test demo bench lint typecheck check clean

# Every dependency from the lock (exact versions, hashes checked), then our two projects editable
# without resolving again: the product and the sandbox (packages/relorch-sandbox, a dev/local
# package, never in the product wheel). `pip check` fails when a pyproject asks for something the
# lock does not hold: run `make lock`. pip >= 25 handles a locked package's extras in hash mode.
LOCK    := requirements/dev.lock
SANDBOX := packages/relorch-sandbox
$(STAMP): $(LOCK) pyproject.toml $(SANDBOX)/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade 'pip>=25'
	$(BIN)/python -m pip install -q -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e . -e $(SANDBOX)
	$(BIN)/python -m pip check
	touch $(STAMP)

# Regenerates the locks from the pyprojects with uv (pinned in the dev extra), keeping the current
# pins where they still fit: `make lock LOCK_FLAGS=--upgrade` moves everything to the newest.
# prod.lock is the product's runtime set alone (the Docker image), constrained to dev.lock's pins.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' $(LOCK_FLAGS)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q 'uv>=0.13,<0.14'
	$(UV_COMPILE) --extra dev pyproject.toml $(SANDBOX)/pyproject.toml -o $(LOCK)
	$(UV_COMPILE) -c $(LOCK) pyproject.toml -o requirements/prod.lock

# wrangler (pinned in package.json) for the emergency path: `wrangler deploy --env production`;
# @octokit/graphql-schema: GitHub's GraphQL schema, which the sandbox validates every query against.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.stack

# The team's shape: server on the local PostgreSQL (database RELORCH_PG_DATABASE, default
# prefect_relorch) with leases and messaging in the local Redis (db RELORCH_REDIS_DB, default 1),
# two workers; UI on :4201, so it can run beside `make run`.
run-pg: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.stack --backend pg

# actionlint (from the dev extra) checks the GitHub Actions workflows CI copies from infra/.
WORKFLOWS := $(wildcard infra/github/workflows/*.yml)
# Debian's chromium for tests/ui (Playwright drives /usr/bin/chromium; `playwright install` would
# download a browser build, which no machine here can fetch). Quiet and idempotent; without apt
# (or root) it says so and tests/ui skips — except in CI, where a missing browser fails the test.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; \
	  else echo "make browser: no apt-get (as root) here: install chromium at $(CHROMIUM); tests/ui skips"; fi; }

# docs/ui/*.png from the UI test's pages (a finished release, its artifacts, a gate's tables)
screenshots: $(STAMP) $(NODE_STAMP) browser
	RELORCH_SCREENSHOTS=docs/ui $(BIN)/python -m pytest tests/ui -x -q

test: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint $(WORKFLOWS)
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

demo: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.demo

bench: $(STAMP) $(NODE_STAMP)  # the sandbox validates GraphQL against node_modules/@octokit/graphql-schema
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/actionlint $(WORKFLOWS)

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .state node_modules
