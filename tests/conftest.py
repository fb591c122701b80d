"""Shared fixtures: one real Prefect server (the test harness, SQLite) and one sandbox per test
process; each scenario gets a fresh sandbox state and the sandbox policy profile."""

from __future__ import annotations

import os

# No machine here reaches the internet: telemetry off before Prefect is imported.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")
