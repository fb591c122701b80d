"""An advance-rollouts tick over a few rollouts in flight (bench/reconcile.py's world, small)
under seeded provider faults: each due rollout advanced once, an unhealthy one halted and never
advanced, one whose vitals cannot be read at all not advanced (no data is not a pass), the
others untouched — and a second tick right after changes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bench.reconcile import scale_env, scale_policy, seed_world
from procedure.android import Timeline
from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox
from tests.faults import _faults

pytestmark = [pytest.mark.scenario, pytest.mark.usefixtures("short_waits")]
N = 10  # a0000-a0004 on Play, i0000-i0004 on the App Store (live, nothing in flight)


def commits(control: SandboxControl, package: str) -> list[str]:
    """Every production state of version 2 that Play committed, in order."""
    return [
        f"{r['status']}:{r['userFraction']}"
        for c in control.play_state(package)["commits"]
        for r in c["tracks"].get("production", [])
        if "2" in r["versionCodes"]
    ]


def test_a_tick_rides_out_provider_faults(
    prefect_server: None,
    sandbox_server: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault_seed: int,
) -> None:
    from flows.advance_rollouts import advance_rollouts
    from tasks import clock
    from tasks.settings import current_policy
    from tasks.timeline import save_timeline

    control = SandboxControl(sandbox_server.url)
    control.reset()
    policy_path, android, ios = scale_policy(tmp_path, N, sandbox_server.url)
    doc = json.loads(policy_path.read_text())
    doc["profiles"]["sandbox"]["slots"]["wait"] = "3s"
    policy_path.write_text(json.dumps(doc))
    for key, value in scale_env(sandbox_server.url, control, policy_path).items():
        monkeypatch.setenv(key, value)
    seed_world(sandbox_server, control, android, ios)
    policy = current_policy()
    package = {name: policy.android_app(name).package_name for name in android}
    healthy, sick, blind, quiet = android[:2], android[2], android[3], android[4]
    for name in (*healthy, sick, blind):  # soaked for 2 h at 5 %: due now
        control.play_set_vitals(package[name], 1, distinct_users=90000)
        crash = 0.025 if name == sick else 0.003
        control.play_set_vitals(
            package[name], 2, user_perceived_crash_rate=crash, distinct_users=4000
        )
        ago = clock.now() - timedelta(hours=2)
        asyncio.run(save_timeline(name, 2, Timeline(promoted_at=ago, stage_since={"0.05": ago})))
    control.clear_requests()
    # every vitals read of `blind` fails (Play Developer Reporting only: /apps/{package}/...)
    control.add_fault("googleplay", "status", status=503, path_contains=f"/apps/{package[blind]}/")
    _faults.install(control, fault_seed)
    try:
        first = asyncio.run(advance_rollouts(return_state=True))  # type: ignore[call-overload]
        second = asyncio.run(advance_rollouts(return_state=True))  # type: ignore[call-overload]
        _faults.report(control, fault_seed)
    finally:
        control.clear_faults()
    # each tick fails, naming the one rollout it could not look at, after taking the others
    for tick in (first, second):
        assert tick.is_failed(), tick.message
        assert f"could not look at {blind}:" in (tick.message or ""), tick.message
        assert not any(f"{name}:" in (tick.message or "") for name in (*healthy, sick, quiet))
    for name in healthy:  # advanced once, by the first tick; the second finds it soaking
        assert commits(control, package[name]) == ["inProgress:0.2"], name
    # the crash-rate gate held under faults: halted, never advanced
    assert commits(control, package[sick]) == ["halted:0.05"]
    assert commits(control, package[blind]) == []  # its health unknown: not advanced
    assert commits(control, package[quiet]) == []  # not due: untouched
    # the App Store apps have nothing in flight: read, never written
    assert [r for r in control.requests("app-store-connect") if r["method"] != "GET"] == []
