"""`make bench` stage slack: how late a continuation starts, through a real `prefect worker`.

A continuation is a flow run scheduled for an instant (flows/continuation.py); a process worker
polls for it, starts a process, and the Prefect engine in that process moves it to Running. Here a
no-op flow deployed on its own process pool stands in for the continuation (the time measured is
the worker's, the process's and the engine's, not the step's), with the worker set up as
`make run` sets it (PREFECT_WORKER_QUERY_SECONDS=1, PREFECT_WORKER_PREFETCH_SECONDS=20,
`--limit 8`), and each continuation scheduled further ahead than the prefetch, as real ones are
(a soak, a review, a check interval):

- stage_slack_median_s / stage_slack_p95_s: Running time − scheduled time over spread-out runs;
- burst_drain_s: BURST runs due at once, from due to the last one Running;
- waiting_processes: processes the worker holds while WAITERS continuations wait far in the
  future — the shape of Android rollouts on their soak (each run ended, its continuation
  Scheduled): 0 besides the worker, long waits hold no process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow

ROOT = Path(__file__).resolve().parent.parent
POOL = "bench-slack"
SPREAD, SPACING_S, BURST, WAITERS = 10, 3.0, 20, 100
PREFETCH_S = 20  # as scripts/stack.py sets it
AHEAD_S = PREFETCH_S + 5
GOALS = {
    "stage_slack_median_s": "≤ 1",
    "stage_slack_p95_s": "≤ 2",
    "burst_drain_s": f"≤ {BURST * 0.5:g} ({BURST} due at once)",
    "waiting_processes": "0",
    "slack_poll_median_s": "(part of the slack)",
    "slack_process_start_median_s": "(part of the slack)",
    "load_average_1m": "(machine busy?)",
}


@flow(name="bench-continuation")
def noop() -> None:
    """The continuation's stand-in: nothing to do, so only the start is measured."""


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc: no dependency for one count)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        frontier += kids
    return found


async def _deploy() -> UUID:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
    source = await noop.from_source(str(ROOT), "bench/slack.py:noop")  # type: ignore[attr-defined]
    return UUID(
        str(
            await source.deploy(
                name="bench-slack",
                work_pool_name=POOL,
                print_next_steps=False,
                ignore_warnings=True,
            )
        )
    )


async def _schedule(deployment_id: UUID, times: list[datetime]) -> list[UUID]:
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    async with get_client() as client:
        runs = [
            await client.create_flow_run_from_deployment(
                deployment_id, state=Scheduled(scheduled_time=when), tags=["continues:bench"]
            )
            for when in times
        ]
    return [run.id for run in runs]


async def _read(ids: list[UUID]) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)
        )


def _slacks(ids: list[UUID], timeout: float) -> list[float]:
    """Seconds from each run's scheduled time to its Running, once all have started."""
    deadline = time.monotonic() + timeout
    while True:
        runs = asyncio.run(_read(ids))
        if all(r.start_time is not None for r in runs) and len(runs) == len(ids):
            return sorted(
                (r.start_time - r.expected_start_time).total_seconds()  # type: ignore[operator]
                for r in runs
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"continuations not started within {timeout} s")
        time.sleep(0.5)


async def _phases(ids: list[UUID]) -> tuple[list[float], list[float]]:
    """Where the slack goes, per run: due → Pending (the worker's poll and submission) and
    Pending → Running (a new process, imports, the Prefect engine's start)."""
    from prefect.client.orchestration import get_client

    polls, starts = [], []
    async with get_client() as client:
        for run in await _read(ids):
            states = {s.type.value: s.timestamp for s in await client.read_flow_run_states(run.id)}
            pending, running = states.get("PENDING"), states.get("RUNNING")
            if pending and running and run.expected_start_time:
                polls.append((pending - run.expected_start_time).total_seconds())
                starts.append((running - pending).total_seconds())
    return polls, starts


def _cancel(ids: list[UUID]) -> None:
    async def cancel() -> None:
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            for run_id in ids:
                await client.delete_flow_run(run_id)

    asyncio.run(cancel())


def measure() -> dict[str, float | int]:
    """Against the server PREFECT_API_URL names: start a worker, measure, stop it."""
    deployment_id = asyncio.run(_deploy())
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the harness sets it in-process only
        "PREFECT_WORKER_QUERY_SECONDS": "1",  # as `make run`
        "PREFECT_WORKER_PREFETCH_SECONDS": str(PREFETCH_S),
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "worker",
            "start",
            "--pool",
            POOL,
            "--limit",
            os.environ.get("BENCH_WORKER_LIMIT", "8"),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # the worker's first poll
        # waiting: far-off continuations hold nothing (counted after a few polls)
        far = datetime.now(UTC) + timedelta(minutes=30)
        waiting_ids = asyncio.run(_schedule(deployment_id, [far] * WAITERS))
        time.sleep(3)
        waiting = len(_children(worker.pid))
        _cancel(waiting_ids)
        # spread-out continuations, each due on its own
        start = datetime.now(UTC) + timedelta(seconds=AHEAD_S)
        spread_times = [start + timedelta(seconds=SPACING_S * i) for i in range(SPREAD)]
        spread_ids = asyncio.run(_schedule(deployment_id, spread_times))
        spread = _slacks(spread_ids, 120 + AHEAD_S)
        polls, starts = asyncio.run(_phases(spread_ids))
        # a burst: all due at once
        burst = _slacks(
            asyncio.run(
                _schedule(deployment_id, [datetime.now(UTC) + timedelta(seconds=AHEAD_S)] * BURST)
            ),
            180 + AHEAD_S,
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    p95 = statistics.quantiles(spread, n=20)[-1]
    return {
        "stage_slack_median_s": round(statistics.median(spread), 2),
        "stage_slack_p95_s": round(p95, 2),
        "burst_drain_s": round(max(burst), 2),
        "waiting_processes": waiting,
        "slack_poll_median_s": round(statistics.median(polls), 2) if polls else -1,
        "slack_process_start_median_s": round(statistics.median(starts), 2) if starts else -1,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "waiting_continuations": WAITERS,
        "spread_continuations": SPREAD,
    }


if __name__ == "__main__":  # the slack part alone: `python -m bench.slack`
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        print(json.dumps(measure(), indent=2))
