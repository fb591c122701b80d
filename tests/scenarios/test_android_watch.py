"""Android, right against the real Play (issue 7): health watched all the time, a halt never
frozen, managed publishing and review states, the release's name kept, "significant" from the
PR's label, an emergency hotfix during its incident, and only real bundles from the builds dir.
On a real Prefect server against the Google Play sandbox, driven as the continuations would."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.states import State

from tasks.clock import ManualClock
from tests.scenarios.conftest import PACKAGE, Android, pause
from tests.scenarios.test_android_release import drive, fractions_set, is_deferred, run_android
from tests.scenarios.test_workers_deploy import artifacts_of

pytestmark = [pytest.mark.scenario]
HEALTHY = {"user_perceived_crash_rate": 0.003, "distinct_users": 4000}
SPIKE = {"user_perceived_crash_rate": 0.025, "distinct_users": 4000}


def wallet_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **wallet: Any) -> None:
    """The test policy with some of the wallet's sandbox settings changed."""
    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    app = doc["profiles"]["sandbox"]["android_apps"]["wallet"]
    for key, value in wallet.items():
        if isinstance(value, dict):
            app.setdefault(key, {}).update(value)
        else:
            app[key] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(path))


def timeline_of(code: int = 101) -> Any:
    from tasks.timeline import load_timeline

    return asyncio.run(load_timeline("wallet", code))


def play_calls(android: Android) -> int:
    return len(android.stack.control.requests("googleplay"))


# -- 9: vitals checked throughout each stage and after 100 % ------------------------------------


def test_crash_spike_mid_stage_halts_before_the_stage_soak_ends(
    shared_clock: ManualClock, android: Android, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet_policy(tmp_path, monkeypatch, stage_soak="8s", vitals={"check_interval": "1s"})
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)

    def spike_once_live(_: list[State]) -> None:
        if timeline_of().since(0.05):  # published at 5 %: the stage's clock runs
            android.stack.control.play_set_vitals(PACKAGE, 101, **SPIKE)

    states = drive(
        {"app": "wallet", "version_code": 101, "significant": False}, between=spike_once_live
    )
    halted_at = shared_clock.now()
    final = states[-1]
    assert (
        final.is_failed() and "halted" in (final.message or "") and "crash" in (final.message or "")
    ), final.message
    release = android.release_of(101)
    assert release["status"] == "halted" and release["userFraction"] == 0.05
    started = timeline_of().since(0.05)
    assert started is not None and (halted_at - started).total_seconds() < 8, (
        "halted only when the soak ended"
    )
    assert fractions_set(android) == ["inProgress:0.05", "halted:0.05"]


def test_crash_spike_after_100_percent_halts_the_completed_release(
    shared_clock: ManualClock, android: Android, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wallet_policy(
        tmp_path, monkeypatch, vitals={"check_interval": "1s", "watch_after_complete": "8s"}
    )
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)

    def spike_at_100(_: list[State]) -> None:
        release = android.release_of(101)
        if release and release["status"] == "completed":
            android.stack.control.play_set_vitals(PACKAGE, 101, **SPIKE)

    states = drive(
        {"app": "wallet", "version_code": 101, "significant": False}, between=spike_at_100
    )
    final = states[-1]
    assert final.is_failed() and "100% (completed)" in (final.message or ""), final.message
    assert android.release_of(101)["status"] == "halted"
    # Play serves the previous release to everyone again
    serving = [r for r in android.production() if r["status"] == "completed"]
    assert [r["versionCodes"] for r in serving] == [[100]]


def test_advance_rollouts_watches_a_completed_release_whose_continuation_was_lost(
    shared_clock: ManualClock, android: Android, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.advance_rollouts import advance_rollouts

    wallet_policy(
        tmp_path, monkeypatch, vitals={"check_interval": "1s", "watch_after_complete": "30s"}
    )
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)

    def stop_at_100(states: list[State]) -> None:
        if "vitals watched until" in (states[-1].message or ""):
            raise _Stop

    with pytest.raises(_Stop):
        drive({"app": "wallet", "version_code": 101, "significant": False}, between=stop_at_100)
    assert android.release_of(101)["status"] == "completed"
    android.stack.control.play_set_vitals(PACKAGE, 101, **SPIKE)
    pause(1.1)  # the next check is due; the rollout's own continuation never comes
    rows = asyncio.run(advance_rollouts())
    assert [r for r in rows if r["version"] == 101 and "halted" in str(r["acted"])], rows
    assert android.release_of(101)["status"] == "halted"


class _Stop(Exception):
    pass


def test_a_healthy_release_is_watched_after_100_percent_then_done(
    shared_clock: ManualClock, android: Android
) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)
    states = drive({"app": "wallet", "version_code": 101, "significant": False})
    assert states[-1].is_completed() and not is_deferred(states[-1]), states[-1].message
    watched = [s for s in states if "vitals watched until" in (s.message or "")]
    assert watched, [s.message for s in states]


# -- 10: a halt is never frozen ------------------------------------------------------------------


def test_crash_spike_during_a_freeze_halts_at_once(
    shared_clock: ManualClock, android: Android
) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)
    incident: list[str] = []

    def freeze_then_spike_at_20(states: list[State]) -> None:
        release = android.release_of(101)
        if release and release.get("userFraction") == 0.2 and not incident:
            incident.append(android.stack.control.pd_open_incident("Payments down", priority="P1"))
        elif incident and "change freeze" in (states[-1].message or ""):
            android.stack.control.play_set_vitals(PACKAGE, 101, **SPIKE)

    try:
        states = drive(
            {"app": "wallet", "version_code": 101, "significant": False},
            between=freeze_then_spike_at_20,
            max_runs=20,
        )
    finally:
        for ident in incident:
            android.stack.control.pd_set_incident_status(ident, "resolved")
    assert any("change freeze" in (s.message or "") for s in states)
    final = states[-1]
    assert final.is_failed() and "halted" in (final.message or ""), final.message
    release = android.release_of(101)
    assert release["status"] == "halted" and release["userFraction"] == 0.2


# -- 12: managed publishing and review states ----------------------------------------------------


def test_approved_but_unpublished_release_waits_for_a_person_to_publish(
    shared_clock: ManualClock, android: Android
) -> None:
    android.stack.control.play_app(PACKAGE, managed_publishing=True, review_seconds=1.0)
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)
    published: list[datetime] = []

    def publish_after_a_while(states: list[State]) -> None:
        waiting = [s for s in states if "Play Console" in (s.message or "")]
        if len(waiting) >= 4 and not published:  # well past the 2 s stage soak
            assert android.release_of(101)["userFraction"] == 0.05
            published.append(shared_clock.now())
            android.stack.control.play_publish(PACKAGE)

    states = drive(
        {"app": "wallet", "version_code": 101, "significant": False}, between=publish_after_a_while
    )
    assert states[-1].is_completed() and not is_deferred(states[-1]), states[-1].message
    assert published
    assert fractions_set(android) == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]
    started = timeline_of().since(0.05)
    assert started is not None and started >= published[0]  # the 5 % clock started at publishing


def test_changes_already_in_review_schedules_a_retry_then_promotes(
    shared_clock: ManualClock, android: Android
) -> None:
    control = android.stack.control
    android.ci_upload(101)
    control.play_set_vitals(PACKAGE, 101, **HEALTHY)
    soak = run_android(app="wallet", version_code=101, significant=False)
    assert is_deferred(soak) and "internal testing" in (soak.message or ""), soak.message
    # in review for 8 s: long enough that a loaded machine still starts the run inside it
    control.play_app(PACKAGE, review_seconds=8.0)
    control.play_console_change(PACKAGE, "Store listing")
    control.play_app(PACKAGE, review_seconds=1.0)
    pause(1.1)  # the internal soak is over: promotion is due while the Console change is in review
    states = drive({"app": "wallet", "version_code": 101, "significant": False})
    assert states[-1].is_completed() and not is_deferred(states[-1]), states[-1].message
    assert any("CHANGES_ALREADY_IN_REVIEW" in (s.message or "") for s in states)
    # a refused attempt's track update was never committed; the retry sent the same again
    sent = fractions_set(android)
    assert [f for i, f in enumerate(sent) if i == 0 or sent[i - 1] != f] == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]
    assert android.release_of(101)["status"] == "completed"


def test_advance_rollouts_promotes_a_version_whose_continuation_was_lost(
    shared_clock: ManualClock, android: Android
) -> None:
    from flows.advance_rollouts import advance_rollouts

    control = android.stack.control
    android.ci_upload(101)
    soak = run_android(app="wallet", version_code=101, significant=False)
    assert is_deferred(soak) and "internal testing" in (soak.message or ""), soak.message
    control.play_app(PACKAGE, review_seconds=8.0)
    control.play_console_change(PACKAGE, "Store listing")  # in review for 8 s
    control.play_app(PACKAGE, review_seconds=1.0)
    pause(1.1)  # the internal soak is over: promotion is due
    refused = run_android(app="wallet", version_code=101, significant=False)
    assert is_deferred(refused) and "CHANGES_ALREADY_IN_REVIEW" in (refused.message or ""), (
        refused.message
    )
    assert android.release_of(101) is None
    # the Console change's review ends; the run's continuation never comes
    for _ in range(75):  # 15 s of review time at most
        if control.play_state(PACKAGE)["in_review"] is None:
            break
        pause(0.2)
    rows = asyncio.run(advance_rollouts())
    assert [r for r in rows if r["version"] == 101 and "promoted" in str(r["acted"])], rows
    assert android.release_of(101)["userFraction"] == 0.05


# -- 13: advance-rollouts keeps the release's name and notes ------------------------------------


def test_advance_rollouts_keeps_the_release_name_and_notes(
    shared_clock: ManualClock, android: Android
) -> None:
    from flows.advance_rollouts import advance_rollouts

    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, **HEALTHY)
    params = {
        "app": "wallet",
        "version_code": 101,
        "significant": False,
        "version_name": "1.5.0",
        "release_notes": "Faster proofs",
    }
    for _ in range(20):
        run_android(**params)
        release = android.release_of(101)
        if release and release.get("userFraction") == 0.05 and timeline_of().since(0.05):
            break
        pause(1.0)
    assert android.release_of(101)["name"] == "1.5.0"
    pause(2.2)  # the 5 % soak is over; the continuation is lost, the cron acts
    asyncio.run(advance_rollouts())
    release = android.release_of(101)
    assert release["userFraction"] == 0.2
    assert release["name"] == "1.5.0"
    assert release["releaseNotes"] == [{"language": "en-US", "text": "Faster proofs"}]


# -- 14: significant from the PR's label --------------------------------------------------------


def test_significant_comes_from_the_pr_label_and_a_downgrade_needs_a_reason(
    android: Android,
) -> None:
    control = android.stack.control
    repo = android.stack.policy.android_app("wallet").repo
    assert repo
    control.github_repo(repo)
    control.github_pull(repo, 7, head_sha="a" * 40, labels=["significant-change"])
    android.ci_upload(101)
    before = play_calls(android)
    refused = run_android(app="wallet", version_code=101, pr_number=7, significant=False)
    assert refused.is_failed() and "significant" in (refused.message or "")
    assert "significant_reason" in (refused.message or "")
    assert play_calls(android) == before
    labelled = run_android(app="wallet", version_code=101, pr_number=7)
    assert is_deferred(labelled) and "internal testing (significant" in (labelled.message or ""), (
        labelled.message
    )
    # without a PR the caller must say
    unsaid = run_android(app="wallet", version_code=101)
    assert unsaid.is_failed() and "significant" in (unsaid.message or "")


# -- 17: a mobile hotfix during the incident it fixes ---------------------------------------------


def test_hotfix_during_a_p1_goes_out_audited_and_keeps_the_health_gate(android: Android) -> None:
    control = android.stack.control
    incident = control.pd_open_incident("Wallet proofs failing", priority="P1")
    try:
        android.ci_upload(101)
        control.play_set_vitals(PACKAGE, 101, **HEALTHY)

        def spike_at_20(_: list[State]) -> None:
            release = android.release_of(101)
            if release and release.get("userFraction") == 0.2:
                control.play_set_vitals(PACKAGE, 101, **SPIKE)

        states = drive(
            {
                "app": "wallet",
                "version_code": 101,
                "significant": False,
                "incident_id": incident,
                "emergency_reason": "Hotfix for the proof crash behind the P1",
                "operator": "oncall.ana",
            },
            between=spike_at_20,
        )
    finally:
        control.pd_set_incident_status(incident, "resolved")
    assert not any("change freeze" in (s.message or "") for s in states)
    # the freeze was bypassed (promoted and advanced during the P1) but not the health gate
    assert fractions_set(android) == ["inProgress:0.05", "inProgress:0.2", "halted:0.2"]
    assert states[-1].is_failed() and "halted" in (states[-1].message or "")
    audits = [artifacts_of(s).get("emergency-android-wallet-audit", "") for s in states]
    promoted = next(a for a in audits if "promoted" in a)
    for fact in (
        "oncall.ana",
        incident,
        "Hotfix for the proof crash",
        "freeze before promote",
        "Wallet proofs failing",
    ):
        assert fact in promoted, promoted


def test_hotfix_without_a_valid_incident_is_refused_before_play(android: Android) -> None:
    control = android.stack.control
    android.ci_upload(101)
    minor = control.pd_open_incident("Slow settings page", priority="P3")
    try:
        before = play_calls(android)
        for incident_id, why in (("PNOSUCH1", "not known"), (minor, "not P1 or P2")):
            state = run_android(
                app="wallet",
                version_code=101,
                significant=False,
                incident_id=incident_id,
                emergency_reason="Hotfix that cannot wait",
                operator="oncall.ana",
            )
            assert state.is_failed() and incident_id in (state.message or ""), state.message
            assert why in (state.message or ""), state.message
        missing = run_android(app="wallet", version_code=101, significant=False, incident_id=minor)
        assert missing.is_failed() and "emergency_reason" in (missing.message or "")
        assert play_calls(android) == before
    finally:
        control.pd_set_incident_status(minor, "resolved")


# -- 19: only real bundles from the builds directory --------------------------------------------


def test_bad_bundle_paths_are_refused_before_any_play_call(
    android: Android, tmp_path: Path
) -> None:
    import zipfile

    outside = tmp_path / "outside.aab"
    with zipfile.ZipFile(outside, "w") as aab:
        aab.writestr("BundleConfig.pb", b"x")
    escape = android.builds_dir / "escape.aab"
    escape.unlink(missing_ok=True)
    escape.symlink_to("/proc/self/environ")
    not_zip = android.builds_dir / "notes.aab"
    not_zip.write_text("versionCode=102")
    dotdot = android.builds_dir.parent / "dotdot.aab"
    dotdot.write_bytes(outside.read_bytes())
    no_config = android.builds_dir / "plain.aab"
    with zipfile.ZipFile(no_config, "w") as aab:
        aab.writestr("classes.dex", b"dex")
    before = play_calls(android)
    for path, why in (
        ("/proc/self/environ", "not under the policy's builds_dir"),
        (str(outside), "not under the policy's builds_dir"),
        (str(escape), "not under the policy's builds_dir"),
        (str(android.builds_dir / ".." / dotdot.name), "not under"),
        (str(not_zip), "not a zip"),
        (str(no_config), "no BundleConfig.pb"),
        (str(android.builds_dir / "absent.aab"), "no such file"),
    ):
        state = run_android(app="wallet", aab_path=path, significant=False)
        assert (
            state.is_failed()
            and "aab_path" in (state.message or "")
            and why in (state.message or "")
        ), (path, state.message)
    assert play_calls(android) == before
    # a real bundle in the builds directory still goes
    good = run_android(app="wallet", aab_path=str(android.bundle(102, "1.6.0")), significant=False)
    assert is_deferred(good), good.message
