#!/usr/bin/env bash
# What CI runs after `wrangler versions upload --env <env> --tag "$GIT_SHA" --message "…"` (the
# release refuses a version whose workers/tag is not GIT_SHA): start the release and wait for its
# verdict. Exit code (relctl's): 0 released, 1 failed, 2 bad input, 3 not finished by --timeout,
# 4 the run under this key is dead (re-run with --resume), 5 superseded (production runs newer).
# Needs PREFECT_API_URL (and PREFECT_API_AUTH_STRING if the server has basic auth), SERVICE,
# GIT_SHA, PR_NUMBER, SANDBOX_VERSION_ID (if the service has a sandbox), PRODUCTION_VERSION_ID.
# GitHub Actions sets GITHUB_RUN_ID: relctl passes it as ci_run_id, so this job's own check run (in
# progress while it waits here) does not count against "CI passes"; GITHUB_RUN_ID /
# GITHUB_RUN_ATTEMPT also go into the idempotency key (a re-run of the job is a new run).
#
# relctl is found without the venv on PATH: $RELCTL if set, else the checkout's .venv, else a
# `relctl` executable FILE on PATH (a bare `relctl` would resolve to the checkout's relctl/
# package directory when PATH holds "." or an empty entry: "relctl: Is a directory").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${RELCTL:-}" ]; then
  relctl="$RELCTL"
elif [ -x "$root/.venv/bin/relctl" ]; then
  relctl="$root/.venv/bin/relctl"
elif found="$(type -P relctl)" && [ -f "$found" ] && [ -x "$found" ]; then
  relctl="$found"
else
  echo "ci-trigger.sh: no relctl: run 'make install' in $root or set RELCTL" >&2
  exit 2
fi
args=(--service "$SERVICE" --sha "$GIT_SHA" --pr "$PR_NUMBER" --version "production=$PRODUCTION_VERSION_ID")
[ -n "${SANDBOX_VERSION_ID:-}" ] && args+=(--version "sandbox=$SANDBOX_VERSION_ID")
exec "$relctl" release workers "${args[@]}" --watch
