"""Seeded kills: where a path's process dies, how it is killed, how the product heals it.

A seed picks, for one path: the N-th provider write (as the sandbox's request log sees it) after
which the process dies, a delay after it (so the kill also lands between writes and inside the
next one), whether the path's writes are slowed (so it dies while the provider still applies a
write it sent — the write lands, the answer finds nobody), whether the dead run is then marked
Crashed (what the worker or the heartbeat automation does) or left Running (its slot heals when
its holder has been silent for `slots.stale`), and how the product takes over.

  RELORCH_CRASH_SEED=1234   replays one seed on every path (the failing one is in the message)
  RELORCH_CRASH_RUNS=50     seeds 1000..1049 on every path (a soak; RELORCH_CRASH_FROM=k starts
                            them at k, for fresh ones)
Without either, each test runs its own few default seeds (CI).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.control import SandboxControl
from tests.scenarios.conftest import ROOT

Entry = dict[str, Any]
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def seeds(defaults: Sequence[int]) -> list[int]:
    if os.environ.get("RELORCH_CRASH_SEED"):
        return [int(os.environ["RELORCH_CRASH_SEED"])]
    if os.environ.get("RELORCH_CRASH_RUNS"):  # the same list in every xdist worker
        first = int(os.environ.get("RELORCH_CRASH_FROM", "1000"))
        return list(range(first, first + int(os.environ["RELORCH_CRASH_RUNS"])))
    return list(defaults)


@dataclass(frozen=True)
class Plan:
    path: str
    seed: int
    nth_write: int  # die after the sandbox logged this many of the path's writes
    delay_s: float  # …and this long after it
    slow_s: float  # every write of the path answers this late (0: not slowed)
    mark_crashed: bool  # the dead run is marked Crashed (else left Running, silent)
    heal: str  # how the product takes over (per path)

    def __str__(self) -> str:
        slowed = f", writes slowed {self.slow_s:.2f} s" if self.slow_s else ""
        marked = "marked Crashed" if self.mark_crashed else "left Running"
        return (
            f"[{self.path} seed {self.seed}: SIGKILL after write #{self.nth_write} "
            f"+ {self.delay_s:.2f} s{slowed}; dead run {marked}; healed by {self.heal}; "
            f"replay: RELORCH_CRASH_SEED={self.seed}]"
        )


def plan(path: str, seed: int, writes: int, heals: Sequence[str], max_delay_s: float = 1.0) -> Plan:
    """`writes`: how many writes a clean run of the path makes at least (the kill is among them)."""
    rng = random.Random(f"{path}:{seed}")
    nth_write = rng.randint(1, writes)
    delay_s = round(rng.uniform(0.0, max_delay_s), 2)
    slow_s = round(rng.uniform(0.2, 0.8), 2) if rng.random() < 0.5 else 0.0
    mark_crashed = rng.random() < 0.5
    heal = rng.choice(list(heals))
    # the on-crash automation fires on the Crashed state
    return Plan(
        path, seed, nth_write, delay_s, slow_s, mark_crashed or heal.startswith("on-crash"), heal
    )


def spawn(path: str, params: dict[str, Any], env: dict[str, str]) -> subprocess.Popen[str]:
    """The path's driver in a process (and session) of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash.driver", path, json.dumps(params)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # wrangler and anything else it starts die with it
    )


def writes_of(control: SandboxControl, is_write: Callable[[Entry], bool]) -> list[Entry]:
    return [r for r in control.requests() if r["method"] in WRITES and is_write(r)]


def kill_at(
    the_plan: Plan,
    proc: subprocess.Popen[str],
    control: SandboxControl,
    is_write: Callable[[Entry], bool],
    timeout_s: float = 90.0,
) -> int:
    """SIGKILL the driver's whole process group at the plan's point; returns the writes seen."""
    before = len(writes_of(control, is_write))
    deadline = time.monotonic() + timeout_s
    try:
        while len(writes_of(control, is_write)) - before < the_plan.nth_write:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                seen = len(writes_of(control, is_write)) - before
                raise AssertionError(
                    f"{the_plan}: the run ended after {seen} writes, before the kill point "
                    f"(lower the path's write count?): {out[-600:]}"
                )
            assert time.monotonic() < deadline, f"{the_plan}: kill point never reached"
            time.sleep(0.02)
        time.sleep(the_plan.delay_s)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    return len(writes_of(control, is_write)) - before


def slow_writes(the_plan: Plan, control: SandboxControl, targets: Sequence[str]) -> None:
    if not the_plan.slow_s:
        return
    for target in targets:
        for method in WRITES:
            control.add_fault(target, "slow", delay_s=the_plan.slow_s, method=method)


def settle(the_plan: Plan, control: SandboxControl) -> None:
    """A write the dead process sent still lands; then the provider answers at full speed."""
    time.sleep(the_plan.slow_s + 0.2)
    control.clear_faults()


def dead_runs(the_plan: Plan, since: datetime) -> list[str]:
    """The ids of the runs the kill left Running, marked Crashed when the plan says so (what the
    worker, or the heartbeat automation, does for a run whose process died)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    async def find() -> list[str]:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
                    start_time=FlowRunFilterStartTime(after_=since),
                )
            )
            for run in runs if the_plan.mark_crashed else []:
                await client.set_flow_run_state(
                    run.id, Crashed(message="the process running it was killed"), force=True
                )
            return [str(run.id) for run in runs]

    return asyncio.run(find())


def now() -> datetime:
    return datetime.now(UTC)
