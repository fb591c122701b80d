# Two set-up commands on a fresh machine: `make run` and `make test`. Both create the venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY := false

.PHONY: install run run-pg test demo bench lint typecheck check clean

# The sandbox (packages/relorch-sandbox) is its own package, a dev/local dependency: never in
# the product wheel.
$(STAMP): pyproject.toml packages/relorch-sandbox/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' -e packages/relorch-sandbox
	touch $(STAMP)

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

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

demo: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m scripts.demo

bench: $(STAMP) $(NODE_STAMP)  # the sandbox validates GraphQL against node_modules/@octokit/graphql-schema
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .state node_modules
