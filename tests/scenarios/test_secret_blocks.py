"""Credentials from Prefect Secret blocks: a worker whose environment lacks `GITHUB_TOKEN` takes
it from the `relorch-github-token` block, and the value is redacted like any other."""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.scenarios.conftest import Stack
from tests.scenarios.test_workers_deploy import artifacts_of, run_release

pytestmark = [pytest.mark.scenario]


def test_a_release_with_its_github_token_in_a_secret_block(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    import tasks.settings
    from tasks.evidence import redact
    from tasks.settings import ProviderSettings, block_name, load_credential_blocks

    token = os.environ["GITHUB_TOKEN"]
    monkeypatch.setattr(tasks.settings, "_FROM_BLOCKS", {})
    monkeypatch.delenv("GITHUB_TOKEN")
    assert ProviderSettings.from_env().github_token.get_secret_value() == ""

    async def save() -> None:
        await Secret(value=token).save(block_name("GITHUB_TOKEN"), overwrite=True)

    asyncio.run(save())
    try:
        release = stack.prepare("edge-router")
        state = run_release(release.parameters)
        assert state.is_completed(), state.message  # the sandbox's GitHub took the block's token
        assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]
        assert tasks.settings._FROM_BLOCKS["GITHUB_TOKEN"] == token
        assert asyncio.run(load_credential_blocks()) == []  # read once per process
        assert token not in redact(f"echoed back: {token}")
        assert all(token not in text for text in artifacts_of(state).values())
    finally:

        async def delete() -> None:
            from prefect.client.orchestration import get_client

            async with get_client() as client:
                found = await client.read_block_document_by_name(
                    block_name("GITHUB_TOKEN"), "secret"
                )
                await client.delete_block_document(found.id)

        asyncio.run(delete())
