"""The scenario fixtures (sandbox, policy, `stack`) on a real `prefect server start` that serves
its UI — the test harness's ephemeral server serves the API only — and a headless chromium: the
system's (/usr/bin/chromium, Debian's package, installed by `make browser`), driven by Playwright.
`playwright install` is never run: it downloads a browser build this machine cannot fetch."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scenarios.conftest import policy_file, stack  # noqa: F401 (fixtures; the sandbox: tests/conftest.py)
from tests.scenarios.real_server import RealServer, real_server

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    """Overrides the scenarios' harness server: `stack` then runs on this one."""
    with real_server(tmp_path_factory.mktemp("prefect-ui"), ui=True) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Path:
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if found:
        return Path(found)
    if os.environ.get("CI"):  # CI runs on a machine with apt: a missing browser is a failure
        pytest.fail("no chromium: `make browser` installs Debian's package")
    pytest.skip("no chromium at /usr/bin/chromium: `make browser` installs it (needs apt-get)")
