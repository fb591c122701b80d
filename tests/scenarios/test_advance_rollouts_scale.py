"""advance-rollouts over many rollouts in flight (bench/reconcile.py's world at N=50) on a real
Prefect server against the sandbox: the not-due ones cost no provider read, a due one among them
is advanced in the tick, and one whose own continuation holds the app's slot is left to it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from prefect import flow

from bench.reconcile import scale_env, scale_policy, seed_world
from procedure.android import Timeline
from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox

pytestmark = [pytest.mark.scenario]
N = 50
MOBILE = ("googleplay", "google-oauth", "app-store-connect")


def _production(control: SandboxControl, package: str) -> dict[str, float | str]:
    track = control.play_state(package)["tracks"]["production"]
    release = next(r for r in track["releases"] if "2" in [str(c) for c in r["versionCodes"]])
    return {"status": release["status"], "fraction": release.get("userFraction", 1.0)}


def test_one_tick_over_many_rollouts(
    prefect_server: None,
    sandbox_server: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.advance_rollouts import advance_rollouts
    from tasks import clock
    from tasks.limits import app_limit
    from tasks.settings import current_policy
    from tasks.slots import hold_slot
    from tasks.timeline import save_timeline

    sb = sandbox_server
    control = SandboxControl(sb.url)
    control.reset()
    policy_path, android, ios = scale_policy(tmp_path, N, sb.url)
    doc = json.loads(policy_path.read_text())
    doc["profiles"]["sandbox"]["slots"]["wait"] = "3s"  # a busy app is given up on quickly
    policy_path.write_text(json.dumps(doc))
    for key, value in scale_env(sb.url, control, policy_path).items():
        monkeypatch.setenv(key, value)
    seed_world(sb, control, android, ios)
    policy = current_policy()
    due, held = android[7], android[8]  # soaked for 2 h: both due now
    for name in (due, held):
        package = policy.android_app(name).package_name
        control.play_set_vitals(package, 1, distinct_users=90000)
        control.play_set_vitals(package, 2, distinct_users=4000)
        ago = clock.now() - timedelta(hours=2)
        asyncio.run(save_timeline(name, 2, Timeline(promoted_at=ago, stage_since={"0.05": ago})))

    @flow(name="continuation-of-held")
    async def continuation_holds_slot() -> list[dict[str, object]]:
        """The held rollout's own run has its slot for the whole tick (and acts itself later)."""
        async with hold_slot(app_limit(held), policy.slots.wait, policy):
            return await advance_rollouts()

    control.clear_requests()
    rows = asyncio.run(continuation_holds_slot())

    assert _production(control, policy.android_app(due).package_name)["fraction"] == 0.2
    assert [r for r in rows if r["app"] == due and "5% → 20%" in str(r["acted"])]
    assert _production(control, policy.android_app(held).package_name)["fraction"] == 0.05
    assert [r for r in rows if r["app"] == held and r["stage"] == "busy"]
    # every other rollout: from the stored timeline, no provider call at all
    quiet_packages = {policy.android_app(n).package_name for n in android if n not in (due, held)}
    calls = [r for r in control.requests() if r.get("target") in MOBILE]
    assert not [r for r in calls if any(p in r["path"] for p in quiet_packages)]
    not_due = N - 2
    assert (len(calls) - len([r for r in calls if due in r["path"]])) / not_due <= 1
    assert len([r for r in rows if r["stage"] == "stage"]) == len(android) - 2


def test_ios_phases_in_flight_are_read_only_when_due_or_frozen(
    prefect_server: None,
    sandbox_server: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """iOS: a phased release whose next health check, checkpoint and day end are ahead costs no
        App Store Connect read; one whose health check is due is read (one listing per look) and
        checked; a freeze (it pauses a running phase) makes every app be read once and paused, then
    left alone until the freeze lifts, when each is resumed."""
    from dataclasses import replace

    from flows.advance_rollouts import advance_rollouts
    from tasks import clock
    from tasks.settings import current_policy
    from tasks.timeline import load_ios_timeline, save_ios_timeline

    sb = sandbox_server
    control = SandboxControl(sb.url)
    control.reset()
    policy_path, android, ios = scale_policy(tmp_path, 12, sb.url)
    for key, value in scale_env(sb.url, control, policy_path).items():
        monkeypatch.setenv(key, value)
    seed_world(sb, control, android, ios)
    policy = current_policy()
    due = ios[2]
    app = policy.ios_app(due)
    release = app.bundle_id + "@1.1.0+2"
    control.sentry_health(
        app.sessions.project,
        release,
        crash_free_sessions=0.999,
        crash_free_users=0.999,
        sessions_per_hour=3_600_000.0,
        users_per_hour=900_000.0,
        since=(clock.now() - timedelta(hours=3)).isoformat(),
    )
    old = asyncio.run(load_ios_timeline(due, "1.1.0", "2"))
    checked = clock.now() - timedelta(hours=2)
    asyncio.run(save_ios_timeline(due, "1.1.0", "2", replace(old, health_checked_at=checked)))

    control.clear_requests()
    rows = asyncio.run(advance_rollouts())
    asc = [r for r in control.requests() if r.get("target") == "app-store-connect"]
    assert asc and all(app.app_id in r["path"] for r in asc), asc
    assert len(asc) == 2  # the listing to find it, the listing its step reads
    after = asyncio.run(load_ios_timeline(due, "1.1.0", "2"))
    assert after.health_checked_at is not None and after.health_checked_at > checked
    ios_rows = [r for r in rows if "(iOS)" in str(r["app"])]
    assert len(ios_rows) == len(ios)
    assert {r["app"] for r in ios_rows if "stored timeline" in str(r["next action"])} == {
        f"{n} (iOS)" for n in ios if n != due
    }

    def phases() -> set[str]:
        found = set()
        for name in ios:
            state = control.asc_app_state(policy.ios_app(name).app_id)
            live = next(v for v in state["versions"] if v["version_string"] == "1.1.0")
            found.add(live["phased_release"]["state"])
        return found

    incident = control.pd_open_incident("Checkout broken", priority="P1")
    asyncio.run(advance_rollouts())
    assert phases() == {"PAUSED"}  # every phase was read and paused for the freeze
    control.clear_requests()
    rows = asyncio.run(advance_rollouts())  # the freeze goes on: nothing left to read
    assert not [r for r in control.requests() if r.get("target") == "app-store-connect"]
    assert {r["stage"] for r in rows if "(iOS)" in str(r["app"])} == {"paused"}
    control.pd_set_incident_status(incident, "resolved")
    asyncio.run(advance_rollouts())
    assert phases() == {"ACTIVE"}  # the freeze's pauses are lifted with it
