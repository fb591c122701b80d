#!/usr/bin/env bash
# The multi-worker shape on this host — kept for old instructions; it is `make run-pg`: the Prefect
# server on the local PostgreSQL (127.0.0.1:5432, trust auth; the database and pg_trgm are
# created) with leases and messaging in the local Redis (127.0.0.1:6379), two workers on one pool.
# RELORCH_PG_DATABASE (prefect_relorch) and RELORCH_REDIS_DB (1) choose where its state lives.
set -euo pipefail
cd "$(dirname "$0")/.."
exec make run-pg
