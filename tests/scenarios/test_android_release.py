"""The Android procedure on a real Prefect server against the Google Play sandbox, in compressed
time: each `android-release` run does one due step; the test plays the continuations' part
(runs again when the previous run said the next step is due) unless a test is about them."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from prefect.states import State

from tasks import clock
from tasks.clock import ManualClock
from tests.scenarios.conftest import PACKAGE, Android, pause
from tests.scenarios.real_server import real_prefect_server

pytestmark = [pytest.mark.scenario]
DUE = re.compile(r"next step due (\S+) ")


def run_android(**params: Any) -> State:
    from flows.android_release import android_release

    return asyncio.run(android_release(**params, return_state=True))  # type: ignore[call-overload]


def is_deferred(state: State) -> bool:
    return state.is_completed() and state.name == "Deferred"


def drive(
    params: dict[str, Any], between: Callable[[list[State]], None] | None = None, max_runs: int = 40
) -> list[State]:
    """Run again when the previous run said its next step is due, carrying what hand_over would:
    not the bundle, the resume or the PR (settled by the first run); an emergency keeps its operator."""
    states: list[State] = []
    for _ in range(max_runs):
        state = run_android(**params)
        states.append(state)
        if not is_deferred(state):
            return states
        found = DUE.search(state.message or "")
        assert found, state.message
        wait = (datetime.fromisoformat(found.group(1)) - clock.now()).total_seconds()
        pause(max(0.0, wait) + 0.05)  # advanced, not slept, on the shared clock
        dropped = {"aab_path", "resume_reason", "pr_number"} | (
            {"operator"} if "incident_id" not in params else set()
        )
        params = {k: v for k, v in params.items() if k not in dropped}
        if between:
            between(states)
    raise AssertionError(f"no end after {max_runs} runs: {[s.message for s in states[-3:]]}")


def fractions_set(android: Android) -> list[str]:
    """Every production status/fraction the orchestrator committed, in order."""
    seen = []
    for r in android.stack.control.requests("googleplay"):
        if r["method"] == "PUT" and r["path"].endswith("/tracks/production") and r["status"] < 300:
            for release in r["body"]["releases"]:
                if "101" in release["versionCodes"]:
                    seen.append(f"{release['status']}:{release.get('userFraction', '')}")
    return seen


def test_happy_path_to_100_percent(shared_clock: ManualClock, android: Android) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(
        PACKAGE, 101, user_perceived_crash_rate=0.003, distinct_users=4000
    )
    ci_requests = len(android.stack.control.requests("googleplay"))
    states = drive(
        {
            "app": "wallet",
            "version_code": 101,
            "significant": False,
            "version_name": "1.5.0",
            "release_notes": "Faster proofs",
        }
    )
    assert states[-1].is_completed() and not is_deferred(states[-1]), states[-1].message
    assert "100 %" in (states[-1].message or "")
    assert fractions_set(android) == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]
    # every commit asked Play not to cancel a review in progress
    ours = android.stack.control.requests("googleplay")[ci_requests:]
    commits = [r for r in ours if r["path"].endswith(":commit")]
    assert commits and all(
        r["query"].get("changesInReviewBehavior") == "ERROR_IF_IN_REVIEW" for r in commits
    )
    assert android.release_of(101)["status"] == "completed"


def test_crash_rate_jump_at_20_percent_halts_and_never_reaches_50(
    shared_clock: ManualClock, android: Android
) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(
        PACKAGE, 101, user_perceived_crash_rate=0.003, distinct_users=4000
    )

    def jump_at_20(_: list[State]) -> None:
        release = android.release_of(101)
        if release and release.get("userFraction") == 0.2:
            android.stack.control.play_set_vitals(
                PACKAGE, 101, user_perceived_crash_rate=0.025, distinct_users=4000
            )

    states = drive({"app": "wallet", "version_code": 101, "significant": False}, between=jump_at_20)
    final = states[-1]
    assert final.is_failed()
    assert "halted" in (final.message or "") and "crash" in (final.message or "")
    release = android.release_of(101)
    assert release["status"] == "halted" and release["userFraction"] == 0.2
    assert "inProgress:0.5" not in fractions_set(android)
    # a halted rollout does not move by itself; an operator's run with a reason resumes it
    again = run_android(app="wallet", version_code=101, significant=False)
    assert again.is_failed() and "halted" in (again.message or "")
    android.stack.control.play_set_vitals(
        PACKAGE, 101, user_perceived_crash_rate=0.003, distinct_users=4000
    )
    resumed = run_android(
        app="wallet",
        version_code=101,
        significant=False,
        resume_reason="Crash fixed server-side",
        operator="ana.release",
    )
    assert is_deferred(resumed), resumed.message
    assert android.release_of(101)["status"] == "inProgress"
    assert android.release_of(101)["userFraction"] == 0.2  # resumed where it was, not higher


def test_review_rejected_is_a_clear_failure(shared_clock: ManualClock, android: Android) -> None:
    android.stack.control.play_app(
        PACKAGE,
        review_seconds=1.0,
        review_outcome="reject",
        rejection_reason="Policy: missing privacy disclosure",
    )
    android.ci_upload(101)
    states = drive({"app": "wallet", "version_code": 101, "significant": False})
    assert states[-1].is_failed()
    assert "rejected" in (states[-1].message or "") and "NOT_APPROVED" in (states[-1].message or "")


def test_freeze_during_the_rollout_waits_and_continues_after_it_lifts(
    shared_clock: ManualClock, android: Android, notifications: list[tuple[str, str, str]]
) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    incident: list[str] = []

    def freeze_at_20(_: list[State]) -> None:
        release = android.release_of(101)
        if release and release.get("userFraction") == 0.2 and not incident:
            incident.append(android.stack.control.pd_open_incident("Payments down", priority="P1"))
        elif incident and len(incident) < 4:
            incident.append("waiting")  # a few frozen runs go by
            if len(incident) == 4:
                android.stack.control.pd_set_incident_status(incident[0], "resolved")

    states = drive(
        {"app": "wallet", "version_code": 101, "significant": False}, between=freeze_at_20
    )
    assert states[-1].is_completed() and not is_deferred(states[-1])
    frozen = [s for s in states if "change freeze" in (s.message or "")]
    assert frozen and all("Payments down" in (s.message or "") for s in frozen)
    # several frozen runs, one message each way: deferred once, lifted once
    said = [(kind, subject) for kind, subject, _ in notifications]
    assert said == [("deferred", "android wallet-101"), ("freeze lifted", "android wallet-101")]
    assert fractions_set(android) == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]


def test_missing_version_and_bad_parameters_fail_before_play_is_called(android: Android) -> None:
    before = len(android.stack.control.requests("googleplay"))
    for bad, field in (
        ({"app": "ios-wallet"}, "app"),
        ({"version_code": -3}, "version_code"),
        ({"version_code": None}, "aab_path"),
        ({"release_notes": "x" * 501}, "release_notes"),
        ({"resume_reason": "because"}, "operator"),
    ):
        state = run_android(**{"app": "wallet", "version_code": 101, "significant": False, **bad})
        assert state.is_failed() and field in (state.message or ""), state.message
    assert len(android.stack.control.requests("googleplay")) == before
    missing = run_android(app="wallet", version_code=999, significant=False)
    assert missing.is_failed() and "not on the internal testing track" in (missing.message or "")


def test_lost_continuation_is_taken_by_advance_rollouts_within_one_tick(
    android: Android, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    from pathlib import Path

    import yaml

    from flows.advance_rollouts import advance_rollouts

    _live_at_five_percent(android)  # then the continuation is lost: the test stops calling the flow
    soak = android.stack.policy.android_app("wallet").stage_soak.total_seconds()
    time.sleep(soak + 0.5)  # the 5 % stage's soak is over
    rows = asyncio.run(advance_rollouts())
    assert android.release_of(101)["userFraction"] == 0.2
    assert [r for r in rows if r["version"] == 101 and "5% → 20%" in str(r["acted"])]
    # both firing: the rollout's own run right after finds nothing due. "Right after" is held
    # inside the 20 % soak by lengthening it now, so a loaded machine cannot let it pass.
    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["profiles"]["sandbox"]["android_apps"]["wallet"]["stage_soak"] = "10m"
    slow = tmp_path / "policy.yaml"
    slow.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(slow))
    state = run_android(app="wallet", version_code=101, significant=False)
    assert is_deferred(state) and "at 20%" in (state.message or ""), state.message
    assert android.release_of(101)["userFraction"] == 0.2


def _live_at_five_percent(android: Android) -> None:
    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    for _ in range(20):
        state = run_android(app="wallet", version_code=101, significant=False)
        release = android.release_of(101)
        if release and release.get("userFraction") == 0.05 and "at 5%" in (state.message or ""):
            return
        time.sleep(1.0)
    raise AssertionError("never reached 5 %")


def test_worker_killed_in_the_middle_of_an_advance_then_exactly_one_advance(
    android: Android, tmp_path: Any
) -> None:
    """Every run here is its own process on a real server (its repossessor reclaims the dead
    run's concurrency lease): live at 5 %, a run killed while Play applies its commit, then
    runs after the restart — exactly one advance."""
    import json
    import os
    import signal
    import subprocess
    import sys

    from tests.scenarios.conftest import ROOT

    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    with real_prefect_server(tmp_path) as api_url:
        env = {**os.environ, "PREFECT_API_URL": api_url}

        def driver(action: str, **kwargs: Any) -> Any:
            return subprocess.Popen(
                [sys.executable, "-m", "tests.scenarios.android_driver", action],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                **kwargs,
            )

        first = driver("to-five-percent")
        assert first.wait(timeout=120) == 0
        assert android.release_of(101)["userFraction"] == 0.05
        time.sleep(2.5)  # the 5 % soak is over: the next run advances
        control = android.stack.control
        mark = len(control.requests("googleplay"))
        # the commit is slow: the worker dies while Play is still applying it
        control.add_fault("googleplay", "slow", delay_s=4.0, method="POST", path_contains=":commit")
        doomed = driver("once")
        try:
            deadline = time.monotonic() + 60
            while not any(
                r["method"] == "PUT" and r["path"].endswith("/tracks/production")
                for r in control.requests("googleplay")[mark:]
            ):
                assert time.monotonic() < deadline and doomed.poll() is None, (
                    "the advance never started"
                )
                time.sleep(0.05)
            time.sleep(0.3)  # the commit is on its way
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            if doomed.poll() is None:
                doomed.kill()
        time.sleep(4.5)  # Play finishes the commit the dead worker sent
        control.clear_faults()
        # restart: the dead run's slot comes back when its lease lapses (60 s); the store is
        # re-read, the advance the dead run made is found, and the new stage's soak starts now
        restarted = driver("once")
        out, _ = restarted.communicate(timeout=240)
        result = json.loads(out.strip().splitlines()[-1])
        assert result["name"] == "Deferred" and "at 20%" in str(result["message"]), result
    commits = [
        r
        for r in control.requests("googleplay")[mark:]
        if r["path"].endswith(":commit") and r["status"] == 200
    ]
    assert len(commits) == 1, [c["path"] for c in commits]
    assert android.release_of(101)["userFraction"] == 0.2


def test_upload_from_a_bundle_path_goes_through_one_edit(android: Android, tmp_path: Any) -> None:
    bundle = android.bundle(102, "1.6.0")
    state = run_android(app="wallet", aab_path=str(bundle), version_name="1.6.0", significant=True)
    assert is_deferred(state), state.message
    assert "internal testing until" in (state.message or "")
    calls = [
        (r["method"], r["path"].split("/")[-1])
        for r in android.stack.control.requests("googleplay")
    ]
    assert ("POST", "bundles") in calls
    commit = next(
        r for r in android.stack.control.requests("googleplay") if r["path"].endswith(":commit")
    )
    assert commit["query"]["changesInReviewBehavior"] == "ERROR_IF_IN_REVIEW"
    internal = android.stack.control.play_state(PACKAGE)["tracks"]["internal"]["releases"]
    assert [r["versionCodes"] for r in internal] == [[102]]
    # significant: 3 s of internal testing in the sandbox profile before promotion
    early = run_android(app="wallet", version_code=102, significant=True)
    assert is_deferred(early) and "internal testing" in (early.message or "")


def test_served_release_hands_over_to_its_scheduled_continuations(android: Android) -> None:
    """Through the real deployment and a worker: each run schedules the next; nobody drives."""
    import os

    from relctl.watch import Watcher, ui_url
    from tests.scenarios.worker import served_deployments, wait_for

    android.ci_upload(101)
    android.stack.control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    keys = [k for k in os.environ if k.startswith(("RELORCH_", "GOOGLE_")) or k.endswith("_TOKEN")]
    with served_deployments({k: os.environ[k] for k in keys}) as api:
        deployment = api.deployment_id("android-release", "standard")
        run, _ = api.create_flow_run(
            deployment, {"app": "wallet", "version_code": 101, "significant": False}
        )
        lines: list[str] = []  # what `relctl … --watch` prints, step by step
        verdict = Watcher(api, ui_url(api.api_url), lines.append).watch(run["id"], 150)
        assert verdict == 0, lines[-3:]
        said = "\n".join(lines)
        assert said.count("deferred until") >= 4, said  # promote, 5 %, 20 %, 50 %: each hand-over
        assert f"/runs/flow-run/{run['id']}" in said and "wallet (101) → " in said
        assert lines[-1].startswith("verdict: released"), lines[-1]
        chain = wait_for(lambda: api.runs_tagged(f"continues:{run['id']}"), 5)
        assert chain and chain[0]["parameters"]["version_code"] == 101
    assert fractions_set(android) == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]


def test_internal_sign_off_suspends_for_a_typed_answer_then_promotes(
    android: Android, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    from pathlib import Path

    import yaml

    from tests.scenarios.worker import served_deployments, wait_for

    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["profiles"]["sandbox"]["android_apps"]["wallet"]["internal_sign_off"] = True
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(policy))
    android.ci_upload(101)
    keys = [k for k in os.environ if k.startswith(("RELORCH_", "GOOGLE_")) or k.endswith("_TOKEN")]
    with served_deployments({k: os.environ[k] for k in keys}) as api:
        deployment = api.deployment_id("android-release", "standard")
        run, _ = api.create_flow_run(
            deployment, {"app": "wallet", "version_code": 101, "significant": False}
        )

        def suspended() -> dict[str, Any] | None:
            current = api.follow(run["id"])
            return current if current["state"]["name"] == "Suspended" else None

        waiting = wait_for(suspended, 90, poll=1.0)
        assert android.release_of(101) is None  # nothing promoted before the sign-off
        api.resume(
            waiting["id"], {"approver": "ana.qa", "decision": True, "note": "internal testing ok"}
        )

        def promoted() -> bool:
            return android.release_of(101) is not None

        wait_for(promoted, 90, poll=1.0)
    assert android.release_of(101)["userFraction"] == 0.05


def test_play_outage_mid_rollout_retries_the_step_and_reaches_100_percent(
    shared_clock: ManualClock, android: Android
) -> None:
    """Play answers 503 to every commit for a while — longer than the client's own retries —
    during the 20 % → 50 % advance: that run's step fails, it hands over to a retry of the same
    step (not the end of the chain), and the rollout reaches 100 % with each stage set once."""
    control = android.stack.control
    android.ci_upload(101)
    control.play_set_vitals(PACKAGE, 101, user_perceived_crash_rate=0.003, distinct_users=4000)
    ci_requests = len(control.requests("googleplay"))
    outage: list[str] = []

    def outage_at_20(_: int) -> None:
        release = android.release_of(101)
        if not outage and release and release.get("userFraction") == 0.2:
            # more failed commits than the client's attempts: the first run cannot ride it out
            outage.append(
                control.add_fault(
                    "googleplay",
                    "status",
                    status=503,
                    method="POST",
                    path_contains=":commit",
                    count=8,
                )
            )

    states = drive(
        {"app": "wallet", "version_code": 101, "significant": False}, between=outage_at_20
    )
    assert outage, "the rollout never reached 20 %"
    assert states[-1].is_completed() and not is_deferred(states[-1]), states[-1].message
    assert "100 %" in (states[-1].message or "")
    hit = [s for s in states if "Google Play outage" in (s.message or "")]
    assert hit and all(is_deferred(s) for s in hit), [s.message for s in states]
    assert "HTTP 503" in (hit[0].message or "") and "retry 1 of" in (hit[0].message or "")
    ours = control.requests("googleplay")[ci_requests:]
    committed = [r for r in ours if r["path"].endswith(":commit") and r["status"] < 300]
    failed = [r for r in ours if r["path"].endswith(":commit") and r["status"] == 503]
    assert len(failed) == 8
    # promote 5 %, then 20 %, 50 %, 100 %: one commit each — none twice, none skipped
    assert len(committed) == 4, [(r["path"], r["status"]) for r in ours if ":commit" in r["path"]]
    sent = fractions_set(android)
    assert [f for i, f in enumerate(sent) if i == 0 or sent[i - 1] != f] == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]
    assert android.release_of(101)["status"] == "completed"


def test_served_release_rides_out_a_play_outage_through_its_retry_continuation(
    android: Android,
) -> None:
    """Through the real deployment and a worker, nobody driving: the run whose advance meets the
    outage schedules its own retry; that continuation (after the outage) advances, and the chain
    goes on by itself to 100 %."""
    import os

    from tests.scenarios.worker import served_deployments, wait_for

    control = android.stack.control
    android.ci_upload(101)
    control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    keys = [k for k in os.environ if k.startswith(("RELORCH_", "GOOGLE_")) or k.endswith("_TOKEN")]
    with served_deployments({k: os.environ[k] for k in keys}) as api:
        deployment = api.deployment_id("android-release", "standard")
        run, _ = api.create_flow_run(
            deployment, {"app": "wallet", "version_code": 101, "significant": False}
        )

        def at_20() -> bool:
            release = android.release_of(101)
            return bool(release and release.get("userFraction") == 0.2)

        wait_for(at_20, 120, poll=0.2)  # the 20 % soak (2 s) is long enough to start the outage in
        control.add_fault(
            "googleplay", "status", status=503, method="POST", path_contains=":commit", count=8
        )
        final = api.wait_chain(run["id"], timeout_s=150)
        assert final["state"]["type"] == "COMPLETED" and final["state"]["name"] != "Deferred", (
            final["state"]
        )
        chain, current = [], api.flow_run(run["id"])
        while True:
            chain.append(current)
            nxt = api.runs_tagged(f"continues:{current['id']}")
            if not nxt:
                break
            current = nxt[-1]
        hit = [r for r in chain if "Google Play outage" in (r["state"].get("message") or "")]
        assert hit and hit[0]["state"]["name"] == "Deferred", [r["state"] for r in chain]
        after = chain[chain.index(hit[0]) + 1]
        assert after["parameters"].get("outage_attempt") == 1
    assert fractions_set(android)[-1] == "completed:"
    sent = fractions_set(android)
    assert [f for i, f in enumerate(sent) if i == 0 or sent[i - 1] != f] == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]
    commits = [
        r
        for r in control.requests("googleplay")
        if r["path"].endswith(":commit") and r["status"] < 300
    ]
    assert len(commits) == 1 + 4  # CI's upload, then promote and three advances: each once


def test_play_outage_retries_are_bounded_and_an_error_answer_still_ends_the_run(
    android: Android,
) -> None:
    from flows.mobile import OUTAGE_RETRIES

    control = android.stack.control
    android.ci_upload(101)
    control.play_set_vitals(PACKAGE, 101, distinct_users=4000)
    params: dict[str, Any] = {"app": "wallet", "version_code": 101, "significant": False}
    refused = run_android(**params, outage_attempt=-1)
    assert refused.is_failed() and "outage_attempt" in (refused.message or "")
    soak = run_android(**params)
    assert is_deferred(soak) and "internal testing" in (soak.message or ""), soak.message
    time.sleep(1.1)  # promotion is due
    control.add_fault(
        "googleplay", "status", status=503, method="POST", path_contains=":commit", count=8
    )
    last = run_android(**params, outage_attempt=OUTAGE_RETRIES)
    assert last.is_failed(), last.message
    assert f"still failing after {OUTAGE_RETRIES} retries" in (last.message or "")
    control.clear_faults()
    # a request Play refuses is an answer: the chain ends, no retry is scheduled
    control.add_fault(
        "googleplay", "status", status=400, method="POST", path_contains=":commit", count=1
    )
    bad = run_android(**params)
    assert bad.is_failed() and "outage" not in (bad.message or ""), bad.message
    control.clear_faults()
    assert android.release_of(101) is None  # nothing was promoted by any of them
