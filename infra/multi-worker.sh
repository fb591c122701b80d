#!/usr/bin/env bash
# The multi-worker shape on this host: Prefect server on the local PostgreSQL, two workers on one
# pool. Needs PostgreSQL on 127.0.0.1:5432 (trust auth) with pg_trgm available.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='prefect'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE prefect"
psql -h 127.0.0.1 -U postgres -d prefect -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null
export PREFECT_HOME="$PWD/.state/prefect-pg" DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
export PREFECT_SERVER_DATABASE_CONNECTION_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/prefect
export PREFECT_API_URL=http://127.0.0.1:4201/api RELORCH_HOME="$PWD"
$BIN/prefect server start --host 127.0.0.1 --port 4201 & server=$!
trap 'kill $(jobs -p) 2>/dev/null' EXIT
until curl -sf "$PREFECT_API_URL/health" >/dev/null; do sleep 0.5; done
$BIN/prefect work-pool create release-local --type process --overwrite >/dev/null
$BIN/prefect --no-prompt deploy --all >/dev/null
$BIN/relctl deployments refuse-unknown-parameters  # prefect deploy leaves the schemas open
$BIN/relctl limits ensure
$BIN/prefect worker start --pool release-local --name worker-a & 
$BIN/prefect worker start --pool release-local --name worker-b &
echo "server on PostgreSQL at ${PREFECT_API_URL%/api}; two workers on release-local. Ctrl-C stops."
wait $server
