"""Slots heal (issue 8): on a real `prefect server start` with SQLite, where a server restart loses
every lease but keeps the limit's `active_slots`. A release's slot is taken in a process of its
own (tests/scenarios/slot_holder.py) so it can be killed or outlive a restart; the next release
takes the slot the way the flows do (tasks.slots.hold_slot)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.states import State

from tasks.limits import ensure_limits, release_limit
from tasks.slots import hold_slot
from tests.scenarios.real_server import RealServer, real_server
from tests.scenarios.slot_policy import SLOTS, slot_policy
from tests.scenarios.test_team_shape_leases import active_slots

pytestmark = [pytest.mark.scenario]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = release_limit("verifier")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "prefect") as srv:
        asyncio.run(ensure_limits(slot_policy()))
        yield srv


def start_holder(
    server: RealServer, tmp_path: Path, seconds: float
) -> tuple[subprocess.Popen[bytes], str]:
    """A release holding the slot in its own process; returns it and its run's name."""
    marker = tmp_path / f"holder-{time.monotonic_ns()}"
    env = {**os.environ, "PREFECT_API_URL": server.url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.scenarios.slot_holder", LIMIT, str(marker), str(seconds)],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, "the holder never took the slot"
        time.sleep(0.2)
    return proc, marker.read_text()


@flow(name="next-release")
async def next_release() -> float:
    """The next release of the same service: how long it waited for the slot."""
    started = time.monotonic()
    async with hold_slot(LIMIT, SLOTS.wait, slot_policy()):
        return time.monotonic() - started


def await_result(state: State[Any]) -> float:
    return float(state.result())  # type: ignore[arg-type]


def logs_of(state: State[Any]) -> list[str]:
    async def read() -> list[str]:
        await asyncio.sleep(1.5)  # logs are shipped in batches
        async with get_client() as client:
            logs = await client.read_logs(
                LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
            )
        return [entry.message for entry in logs]

    return asyncio.run(read())


def states_of(state: State[Any]) -> list[State[Any]]:
    async def read() -> list[State[Any]]:
        async with get_client() as client:
            return await client.read_flow_run_states(state.state_details.flow_run_id)  # type: ignore[arg-type]

    return asyncio.run(read())


def freed_artifacts() -> list[str]:
    async def read() -> list[str]:
        async with get_client() as client:
            arts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"slot-freed-{LIMIT}"]))
            )
        return [str(a.data) for a in arts]

    return asyncio.run(read())


def test_a_killed_releases_slot_is_freed_after_a_server_restart_instead_of_waited_on(
    server: RealServer, tmp_path: Path
) -> None:
    holder, holder_name = start_holder(server, tmp_path, seconds=300)
    holder.send_signal(signal.SIGKILL)  # no cleanup: its run stays Running, its slot counted
    holder.wait()
    server.restart()  # …and the lease is gone with the server's memory
    assert active_slots(server, LIMIT) == 1

    state = asyncio.run(next_release(return_state=True))  # type: ignore[call-overload]
    assert state.is_completed(), state.message
    assert await_result(state) < SLOTS.wait.total_seconds()  # freed, not waited out
    freed = [line for line in logs_of(state) if line.startswith(f"freed {LIMIT}")]
    assert freed and holder_name in freed[0] and "lease was lost" in freed[0]
    assert any(holder_name in art for art in freed_artifacts())
    assert active_slots(server, LIMIT) == 0  # and the next release's own slot was released


def test_a_run_waiting_behind_a_live_holder_names_it_and_fails_after_the_policy_bound(
    server: RealServer, tmp_path: Path
) -> None:
    holder, holder_name = start_holder(server, tmp_path, seconds=60)
    try:
        started = time.monotonic()
        state = asyncio.run(next_release(return_state=True))  # type: ignore[call-overload]
        waited = time.monotonic() - started
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait()
    assert state.is_failed()
    assert holder_name in str(state.message) and LIMIT in str(state.message)
    assert SLOTS.wait.total_seconds() <= waited < SLOTS.wait.total_seconds() + 15
    waiting = [line for line in logs_of(state) if line.startswith(f"waiting for {LIMIT}")]
    assert waiting and f"held by run {holder_name}" in waiting[0] and "Running" in waiting[0]
    assert not freed_artifacts()  # a live holder's slot is never taken from it
    said = [s.message or "" for s in states_of(state)]  # …and said it where the UI shows it
    assert any(m.startswith(f"waiting for {LIMIT}: held by run {holder_name}") for m in said)


def test_a_live_holder_keeps_its_slot_across_a_server_restart_and_frees_it_at_the_end(
    server: RealServer, tmp_path: Path
) -> None:
    holder, _ = start_holder(server, tmp_path, seconds=8)
    server.restart()  # its lease is lost, but it still beats: the slot stays its own
    assert holder.wait(timeout=60) == 0
    assert active_slots(server, LIMIT) == 0  # it decremented the count its lost lease held
    state = asyncio.run(next_release(return_state=True))  # type: ignore[call-overload]
    assert state.is_completed()
    assert await_result(state) < 1.5
    assert not freed_artifacts()
