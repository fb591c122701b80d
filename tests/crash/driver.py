"""The process the crash suite kills: it runs one path's flows in-process against PREFECT_API_URL,
playing the continuations' part (runs again when the previous run said its next step is due), as
a worker's runs would. The same functions drive the restart in the test's own process.

  python -m tests.crash.driver PATH '<parameters as JSON>'   # prints each run's state as JSON

PATH: workers | emergency | android | ios | advance (advance-rollouts ticks until `until` holds).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prefect.states import State

DUE = re.compile(r"next step due (\S+) ")
# what hand_over drops from a continuation's parameters (settled by the first run)
DROPPED = ("aab_path", "resume_reason", "pr_number", "outage_attempt", "significant_reason")


def _said(state: State) -> dict[str, Any]:
    out = {"type": state.type.value, "name": state.name, "message": state.message}
    print(json.dumps(out), flush=True)
    return out


def run_flow(path: str, params: dict[str, Any]) -> State:
    from flows.android_release import android_release
    from flows.emergency_deploy import workers_emergency_deploy
    from flows.ios_release import ios_release
    from flows.workers_deploy import workers_deploy
    from flows.workers_recover import workers_recover

    flows: dict[str, Any] = {
        "workers": workers_deploy,
        "emergency": workers_emergency_deploy,
        "recover": workers_recover,
        "android": android_release,
        "ios": ios_release,
    }
    state: State = asyncio.run(flows[path](**params, return_state=True))
    return state


def drive(path: str, params: dict[str, Any], timeout_s: float = 120.0) -> list[dict[str, Any]]:
    """Runs of one release until one ends other than Deferred."""
    deadline = time.monotonic() + timeout_s
    said: list[dict[str, Any]] = []
    while True:
        state = run_flow(path, params)
        said.append(_said(state))
        if not (state.is_completed() and state.name == "Deferred"):
            return said
        found = DUE.search(state.message or "")
        assert found, state.message
        wait = (datetime.fromisoformat(found.group(1)) - datetime.now(UTC)).total_seconds()
        assert time.monotonic() + wait < deadline, f"no end within {timeout_s} s: {said[-3:]}"
        time.sleep(max(0.0, wait) + 0.05)
        params = {k: v for k, v in params.items() if k not in DROPPED}
        if path == "ios":
            params["action"] = "release"


def tick_until(
    done: Callable[[list[dict[str, object]]], bool],
    timeout_s: float = 90.0,
    every_s: float = 0.3,
) -> list[list[dict[str, object]]]:
    """advance-rollouts ticks (the cron, run often) until `done(rows)`; every tick's rows."""
    from flows.advance_rollouts import advance_rollouts

    deadline = time.monotonic() + timeout_s
    ticks: list[list[dict[str, object]]] = []
    while True:
        run: Any = advance_rollouts
        state: State = asyncio.run(run(return_state=True))
        rows = state.result(raise_on_failure=False) if state.is_completed() else []
        ticks.append(rows if isinstance(rows, list) else [])
        _said(state)
        if state.is_completed() and done(ticks[-1]):
            return ticks
        assert time.monotonic() < deadline, f"advance-rollouts never got there: {ticks[-2:]}"
        time.sleep(every_s)


def rollout_over(app: str) -> Callable[[list[dict[str, object]]], bool]:
    """No row of `app` in flight any more (the Android rollout done, its watch over)."""
    return lambda rows: not [r for r in rows if r["app"] == app]


def main(path: str, parameters: str) -> int:
    from tasks.limits import ensure_limits
    from tasks.settings import current_policy

    asyncio.run(ensure_limits(current_policy()))
    if path == "advance":
        tick_until(rollout_over(json.loads(parameters)["app"]))
    else:
        drive(path, json.loads(parameters))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
