"""Shared fixtures: one real Prefect server (the test harness, SQLite) and one sandbox per test
process; each scenario gets a fresh sandbox state and the sandbox policy profile."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sandbox.server import RunningSandbox

# No machine here reaches the internet: telemetry off before Prefect is imported.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """The test harness's Prefect server (SQLite), for every suite that runs flows. When the
    process's tests are done, everything it holds and everything the tests printed is scanned for
    every credential the scenarios used (tests/scenarios/secrets_scan.py): a leak anywhere in the
    suite fails it, naming where."""
    from prefect.testing.utilities import prefect_test_harness

    from tests.scenarios.secrets_scan import assert_server_clean

    with prefect_test_harness(server_startup_timeout=120):
        yield
        assert_server_clean(captured=True)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[RunningSandbox]:
    """The sandbox with the scenarios' tokens, shared by the scenario and fault suites; what
    callers sent it joins the secrets scan."""
    from sandbox.server import start_sandbox
    from tests.scenarios.conftest import TOKENS
    from tests.scenarios.secrets_scan import SANDBOXES, harvest

    with start_sandbox(tokens=TOKENS) as sb:
        SANDBOXES.append(sb)
        yield sb
        harvest()
        SANDBOXES.remove(sb)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """What each test printed and logged (Prefect's console log of its flow runs, the tracebacks
    of their exceptions) joins the secrets scan."""
    from tests.scenarios.secrets_scan import LEDGER

    report = yield
    for section, text in report.sections:
        if section.endswith(call.when):  # a report carries the sections of earlier phases too
            LEDGER.captured.append((f"{section} of {item.nodeid}", text))
    return report
