#!/usr/bin/env bash
# What CI runs after `wrangler versions upload`: start the release and wait for its verdict.
# Exit code is non-zero unless the release completed. Needs PREFECT_API_URL (and
# PREFECT_API_AUTH_STRING if the server has basic auth), SERVICE, GIT_SHA, PR_NUMBER,
# SANDBOX_VERSION_ID (if the service has a sandbox), PRODUCTION_VERSION_ID. GitHub Actions sets
# GITHUB_RUN_ID: relctl passes it as ci_run_id, so this job's own check run (in progress while it
# waits here) does not count against "CI passes".
set -euo pipefail
args=(--service "$SERVICE" --sha "$GIT_SHA" --pr "$PR_NUMBER" --version "production=$PRODUCTION_VERSION_ID")
[ -n "${SANDBOX_VERSION_ID:-}" ] && args+=(--version "sandbox=$SANDBOX_VERSION_ID")
exec relctl release workers "${args[@]}" --watch
