"""Shared fixtures: one real Prefect server (the test harness, SQLite) and one sandbox per test
process; each scenario gets a fresh sandbox state and the sandbox policy profile."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sandbox.server import RunningSandbox

# No machine here reaches the internet: telemetry off before Prefect is imported.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """The test harness's Prefect server (SQLite), for every suite that runs flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[RunningSandbox]:
    """The sandbox with the scenarios' tokens, shared by the scenario and fault suites."""
    from sandbox.server import start_sandbox
    from tests.scenarios.conftest import TOKENS

    with start_sandbox(tokens=TOKENS) as sb:
        yield sb
