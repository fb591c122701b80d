"""Credentials never reach logs, artifacts or exception text — scanned on a real server."""

from __future__ import annotations

import asyncio

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)

from tests.scenarios.conftest import TOKENS, Stack
from tests.scenarios.test_workers_deploy import run_release

pytestmark = [pytest.mark.scenario]


def test_tokens_absent_from_logs_artifacts_and_errors(stack: Stack) -> None:
    release = stack.prepare("verifier")
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("verifier"), new, health="fail")
    stack.control.add_fault("github", "status", status=500, probability=0.3, seed=3)
    state = run_release(release.parameters)
    stack.control.clear_faults()
    assert state.is_failed()
    run_id = state.state_details.flow_run_id

    async def read() -> tuple[list[str], list[str]]:
        await asyncio.sleep(1.0)  # logs are shipped in batches
        async with get_client() as client:
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
            arts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
            )
        return [entry.message for entry in logs], [str(a.data) + str(a.description) for a in arts]

    logs, artifacts = asyncio.run(read())
    assert logs and artifacts
    text = "\n".join([*logs, *artifacts, state.message or "", repr(state.data)])
    for token in TOKENS.values():
        assert token not in text
        assert token[:-4] not in text
