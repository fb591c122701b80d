"""One sandbox per test module (start-up is the slow part), reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox, start_sandbox
from tests.sandbox.helpers import CF_TOKEN, GH_TOKEN, SCRIPT


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(tokens={"github": GH_TOKEN, "cloudflare": CF_TOKEN}) as running:
        yield running


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[SandboxControl]:
    with SandboxControl(sandbox.url) as ctl:
        ctl.reset()
        yield ctl


@pytest.fixture
def gh(sandbox: RunningSandbox, control: SandboxControl) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {GH_TOKEN}", "Accept": "application/vnd.github+json"}
    with httpx.Client(base_url=f"{sandbox.url}/github", headers=headers) as client:
        yield client


@pytest.fixture
def cf(sandbox: RunningSandbox, control: SandboxControl) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {CF_TOKEN}"}
    with httpx.Client(base_url=f"{sandbox.url}/cloudflare/client/v4", headers=headers) as client:
        yield client


@pytest.fixture
def worker(sandbox: RunningSandbox, control: SandboxControl) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/workers/{SCRIPT}") as client:
        yield client


@pytest.fixture
def sandbox_url(sandbox: RunningSandbox) -> str:
    return sandbox.url
