from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from clients import CloudflareClient, GitHubClient
from clients._google_auth import TOKENS
from tests.clients._support import TOKEN, FakeTime, ScriptedProvider

GITHUB_URL = "https://api.github.com"
CLOUDFLARE_URL = "https://api.cloudflare.com/client/v4"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_tokens_from_other_tests() -> None:
    # The token cache is process-wide by design; every test here starts from an empty one.
    TOKENS.clear()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def provider(fake_time: FakeTime) -> ScriptedProvider:
    return ScriptedProvider(fake_time)


@pytest.fixture
async def github(provider: ScriptedProvider, fake_time: FakeTime) -> AsyncIterator[GitHubClient]:
    async with GitHubClient(
        GITHUB_URL, TOKEN, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client


@pytest.fixture
async def cloudflare(
    provider: ScriptedProvider, fake_time: FakeTime
) -> AsyncIterator[CloudflareClient]:
    async with CloudflareClient(
        CLOUDFLARE_URL, TOKEN, transport=provider.transport, retry=fake_time.policy()
    ) as client:
        yield client
