"""One sandbox per test module (start-up is the slow part), reset before every test.

Clients are module-scoped too: building an httpx.Client loads a TLS context (~30 ms), which
adds up over a hundred tests.
"""

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
def sandbox_url(sandbox: RunningSandbox) -> str:
    return sandbox.url


@pytest.fixture(scope="module")
def _control(sandbox: RunningSandbox) -> Iterator[SandboxControl]:
    with SandboxControl(sandbox.url) as ctl:
        yield ctl


@pytest.fixture(scope="module")
def _gh(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {GH_TOKEN}", "Accept": "application/vnd.github+json"}
    with httpx.Client(base_url=f"{sandbox.url}/github", headers=headers) as client:
        yield client


@pytest.fixture(scope="module")
def _cf(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {CF_TOKEN}"}
    with httpx.Client(base_url=f"{sandbox.url}/cloudflare/client/v4", headers=headers) as client:
        yield client


@pytest.fixture(scope="module")
def _worker(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/workers/{SCRIPT}") as client:
        yield client


@pytest.fixture
def control(_control: SandboxControl) -> SandboxControl:
    """The admin client, with the sandbox reset for this test."""
    _control.reset()
    return _control


@pytest.fixture
def gh(_gh: httpx.Client, control: SandboxControl) -> httpx.Client:
    return _gh


@pytest.fixture
def cf(_cf: httpx.Client, control: SandboxControl) -> httpx.Client:
    return _cf


@pytest.fixture
def worker(_worker: httpx.Client, control: SandboxControl) -> httpx.Client:
    return _worker
