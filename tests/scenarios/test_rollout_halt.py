"""An operator halts a mobile rollout (`halt-rollout`, what `relctl rollout halt` starts): on a
real Prefect server against the Play and App Store Connect sandboxes. A halt is a safety action:
a freeze does not block it, a run holding the app's slot does not delay it, and only an
operator's resume moves the rollout again."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from datetime import datetime
from typing import Any

import pytest
from prefect import flow
from prefect.states import State

from tasks import clock
from tasks.clock import ManualClock
from tests.scenarios.conftest import PACKAGE, Android, Ios, pause

pytestmark = [pytest.mark.scenario]
DUE = re.compile(r"next step due (\S+) ")
NEW = ("2.4.0", "400")


def run(flow_fn: Any, **params: Any) -> State:
    return asyncio.run(flow_fn(**params, return_state=True))


def run_halt(**params: Any) -> State:
    from flows.rollout_halt import halt_rollout

    return run(halt_rollout, **params)


def until(flow_fn: Any, params: dict[str, Any], reached: Any, max_runs: int = 60) -> None:
    """Run the release's steps (as its continuations would) until `reached()`."""
    for _ in range(max_runs):
        state = run(flow_fn, **params)
        assert state.is_completed() and state.name == "Deferred", state.message
        if reached():
            return
        found = DUE.search(state.message or "")
        assert found, state.message
        pause(max(0.0, (datetime.fromisoformat(found.group(1)) - clock.now()).total_seconds()))
    raise AssertionError("never reached")


def halts(android: Android) -> list[dict[str, Any]]:
    return [
        r
        for r in android.stack.control.requests("googleplay")
        if r["method"] == "PUT"
        and r["path"].endswith("/tracks/production")
        and r["status"] < 300
        and any(x["status"] == "halted" for x in r["body"]["releases"])
    ]


def to_twenty_percent(android: Android) -> None:
    from flows.android_release import android_release

    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    until(
        android_release,
        {"app": "wallet", "version_code": 101, "significant": False},
        lambda: (android.release_of(101) or {}).get("userFraction") == 0.2,
    )


@flow(name="slot-holder-in-thread")
async def _hold(limit: str, seconds: float, taken: threading.Event, at_release: Any) -> None:
    from tasks.settings import current_policy
    from tasks.slots import hold_slot

    policy = current_policy()
    async with hold_slot(limit, policy.slots.wait, policy):
        taken.set()
        await asyncio.sleep(seconds)
        at_release()  # still holding the slot


def test_android_halt_goes_through_a_freeze_and_a_held_slot_and_waits_for_a_resume(
    shared_clock: ManualClock, android: Android, notifications: list[tuple[str, str, str]]
) -> None:
    from flows.android_release import android_release
    from tasks.limits import app_limit

    to_twenty_percent(android)
    incident = android.stack.control.pd_open_incident("Payments down", priority="P1")
    taken = threading.Event()
    halted_while_held: list[int] = []
    holder = threading.Thread(
        target=lambda: asyncio.run(
            _hold(
                app_limit("wallet"),
                4.0,
                taken,
                lambda: halted_while_held.append(len(halts(android))),
            )
        ),
        daemon=True,
    )
    holder.start()
    assert taken.wait(30), "the holder never took the slot"
    started = time.monotonic()
    halted = run_halt(
        platform="android",
        app="wallet",
        operator="ana.release",
        reason="Crash reports from support",
    )
    holder.join(30)
    assert halted.is_completed(), halted.message
    assert "halted at 20%" in (halted.message or "")
    assert len(halts(android)) == 1  # once: the look under the slot found it halted already
    release = android.release_of(101)
    assert release["status"] == "halted" and release["userFraction"] == 0.2
    # acted while the holder still held the slot, then looked again under it (after the holder)
    assert halted_while_held == [1]
    assert time.monotonic() - started >= 2.0
    halted_said = [n for n in notifications if n[0] == "halted"]
    assert len(halted_said) == 1 and "by ana.release" in halted_said[0][2]
    # a halt again changes nothing
    again = run_halt(
        platform="android",
        app="wallet",
        version="101",
        operator="ana.release",
        reason="double check",
    )
    assert again.is_completed() and "already stopped" in (again.message or "")
    assert len(halts(android)) == 1
    assert len([n for n in notifications if n[0] == "halted"]) == 1  # nothing new to say
    # the procedure does not move a halted rollout; the operator's resume does (freeze over)
    state = run(android_release, app="wallet", version_code=101, significant=False)
    assert state.is_failed() and "halted" in (state.message or "")
    android.stack.control.pd_set_incident_status(incident, "resolved")
    resumed = run(
        android_release,
        app="wallet",
        version_code=101,
        significant=False,
        resume_reason="Crash was a server flag",
        operator="ana.release",
    )
    assert resumed.name == "Deferred", resumed.message
    assert android.release_of(101)["status"] == "inProgress"


def test_halt_refuses_a_bad_request_before_play_is_called(android: Android) -> None:
    before = len(android.stack.control.requests("googleplay"))
    for params, field in [
        ({"platform": "android", "app": "nope", "operator": "ana", "reason": "because"}, "app"),
        (
            {"platform": "android", "app": "wallet", "operator": "a", "reason": "because"},
            "operator",
        ),
        ({"platform": "android", "app": "wallet", "operator": "ana", "reason": "no"}, "reason"),
        ({"platform": "web", "app": "wallet", "operator": "ana", "reason": "because"}, "platform"),
        (
            {
                "platform": "android",
                "app": "wallet",
                "version": "2.4",
                "operator": "ana",
                "reason": "because",
            },
            "version",
        ),
    ]:
        state = run_halt(**params)
        assert state.is_failed() and field in (state.message or ""), state.message
    assert len(android.stack.control.requests("googleplay")) == before
    # nothing staged to halt: said, naming what to give
    nothing = run_halt(
        platform="android", app="wallet", operator="ana.release", reason="Crash reports"
    )
    assert nothing.is_failed() and "version" in (nothing.message or "")
    assert halts(android) == []


def test_ios_pause_is_the_operators_and_the_procedure_keeps_it_paused(
    shared_clock: ManualClock, ios: Ios
) -> None:
    from flows.ios_release import ios_release

    ios.ci_upload(*NEW)
    ios.health(*NEW)
    params = {"app": "wallet", "version": NEW[0], "build_number": NEW[1], "significant": False}

    def on_day_two() -> bool:
        found = ios.version_or_none(NEW[0])
        return bool(found and found["phased_release"] and found["phased_release"]["day"] >= 2)

    until(ios_release, params, on_day_two, max_runs=80)
    paused = run_halt(
        platform="ios", app="wallet", operator="ops-lee", reason="Support sees login loops"
    )
    assert paused.is_completed() and "paused on day 2" in (paused.message or ""), paused.message
    assert ios.version(NEW[0])["phased_release"]["state"] == "PAUSED"
    # the procedure's next runs keep it paused (not a pause of its own to lift), day after day
    app = ios.stack.policy.ios_app("wallet")
    pause(app.phased_day.total_seconds() * 2)
    state = run(ios_release, **params)
    assert ios.version(NEW[0])["phased_release"]["state"] == "PAUSED", state.message
    writes = ios.writes("/v1/appStoreVersionPhasedReleases/")
    assert [w["body"]["data"]["attributes"]["phasedReleaseState"] for w in writes] == ["PAUSED"]
    # the operator's resume lifts it
    resumed = run(
        ios_release, **params, action="resume", operator="ops-lee", reason="login fix deployed"
    )
    assert resumed.name == "Deferred", resumed.message
    assert ios.version(NEW[0])["phased_release"]["state"] == "ACTIVE"
