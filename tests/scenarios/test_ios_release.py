"""The iOS procedure on a real Prefect server against the App Store Connect and Sentry sandbox,
in compressed time on one manual clock (the product's and the sandbox's): each `ios-release`
run takes the steps due now; the test plays the continuations' part (runs again at the instant
the previous run said) and advances the clock instead of sleeping. A phase day is the sandbox
profile's `phased_day` (8 s), a health check every 2 s."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from prefect.states import State

from tasks import clock
from tasks.clock import ManualClock
from tests.scenarios.conftest import IOS_APP_ID, Android, Ios, pause

pytestmark = [pytest.mark.scenario]
DUE = re.compile(r"next step due (\S+) ")
NEW = ("2.4.0", "400")


def run_ios(**params: Any) -> State:
    from flows.ios_release import ios_release

    return asyncio.run(ios_release(**params, return_state=True))  # type: ignore[call-overload]


def run_name(state: State) -> str:
    from prefect.client.orchestration import get_client

    async def read() -> str:
        async with get_client() as client:
            return (await client.read_flow_run(state.state_details.flow_run_id)).name

    return asyncio.run(read())


def is_deferred(state: State) -> bool:
    return state.is_completed() and state.name == "Deferred"


def drive(
    params: dict[str, Any],
    between: Callable[[list[State]], bool | None] | None = None,
    max_runs: int = 80,
) -> list[State]:
    """Run again at the instant the previous run gave, with what hand_over carries; `between`
    runs after each run and may stop the drive by returning True."""
    states: list[State] = []
    for _ in range(max_runs):
        state = run_ios(**params)
        states.append(state)
        if not is_deferred(state):
            return states
        if between and between(states):
            return states
        found = DUE.search(state.message or "")
        assert found, state.message
        wait = (datetime.fromisoformat(found.group(1)) - clock.now()).total_seconds()
        pause(max(0.0, wait) + 0.05)
        params = {
            **{k: v for k, v in params.items() if k not in ("reason", "confirm_remove_from_sale")},
            "action": "release",
        }
        if "incident_id" not in params:
            params.pop("operator", None)
    raise AssertionError(f"no end after {max_runs} runs: {[s.message for s in states[-3:]]}")


def release(**extra: Any) -> dict[str, Any]:
    return {
        "app": "wallet",
        "version": NEW[0],
        "build_number": NEW[1],
        "significant": False,
    } | extra


def messages(states: list[State]) -> str:
    return "\n".join(s.message or "" for s in states)


def phased_of(ios: Ios) -> dict[str, Any] | None:
    found = ios.version_or_none(NEW[0])
    return found["phased_release"] if found else None


def phased_states(ios: Ios) -> list[str]:
    """Every phased-release state we set, in order."""
    return [
        r["body"]["data"]["attributes"]["phasedReleaseState"]
        for r in ios.writes("/v1/appStoreVersionPhasedReleases/")
    ]


def test_happy_path_from_upload_to_complete(shared_clock: ManualClock, ios: Ios) -> None:
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    states = drive(release(release_notes="Faster proofs."))
    assert states[-1].is_completed() and "live to 100 %" in (states[-1].message or "")
    assert run_name(states[0]) == "wallet 2.4.0 (400)"  # the release, not a random name
    version = ios.version(NEW[0])
    assert version["state"] == "READY_FOR_DISTRIBUTION"
    assert version["phased_release"]["day"] == 7  # 100 % (Apple then marks it COMPLETE)
    assert version["phased_release"]["pause_seconds"] == 0
    (build,) = [b for b in ios.state()["builds"] if b["build_number"] == NEW[1]]
    assert build["uses_non_exempt_encryption"] is False  # the policy's answer
    assert all(build["id"] in g["builds"] for g in ios.state()["beta_groups"])
    # once each: one submission, one release request, never a pause
    assert len(ios.state()["submissions"]) == 1
    assert len(ios.writes("/v1/appStoreVersionReleaseRequests", "POST")) == 1
    assert phased_states(ios) == []
    # health was read on every phase day, not only at the checkpoints
    assert len(ios.sessions_reads(*NEW)) >= 7 * 2
    previous = ios.version("2.3.0")
    assert previous["state"] == "REPLACED_WITH_NEW_VERSION"


def test_crash_free_drop_mid_day_pauses_within_one_check_until_an_operator_resumes(
    shared_clock: ManualClock, ios: Ios
) -> None:
    app = ios.stack.policy.ios_app("wallet")
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    dropped_at: list[datetime] = []

    def drop_on_day_two(states: list[State]) -> None:
        phased = phased_of(ios)
        if not dropped_at and phased and phased["day"] == 2:
            ios.health(*NEW, crash_free_sessions=0.95, crash_free_users=0.97)
            dropped_at.append(clock.now())

    states = drive(release(), between=drop_on_day_two)
    assert dropped_at, "never reached day 2"
    final = states[-1]
    assert final.is_failed() and "paused" in (final.message or "")
    assert "iOS cannot roll back" in (final.message or "")
    phased = ios.version(NEW[0])["phased_release"]
    assert phased["state"] == "PAUSED" and phased["day"] == 2
    pauses = ios.writes("/v1/appStoreVersionPhasedReleases/")
    assert [p["body"]["data"]["attributes"]["phasedReleaseState"] for p in pauses] == ["PAUSED"]
    # within one check interval of the drop (a second of data, then the next check)
    paused_at = datetime.fromisoformat(pauses[0]["time"])
    assert (paused_at - dropped_at[0]).total_seconds() <= (
        app.health.check_interval.total_seconds() + 1.5
    )
    assert asyncio.run(_artifacts_with("phased release PAUSED at day 2"))  # the alert
    # nothing moves by itself: a run now finds it paused by health and changes nothing
    pause(app.phased_day.total_seconds() * 2)
    again = run_ios(**release())
    assert again.is_failed() and ios.version(NEW[0])["phased_release"]["day"] == 2
    assert len(ios.writes("/v1/appStoreVersionPhasedReleases/")) == 1

    # the operator resumes (health back): the phased release goes on from day 2
    ios.health(*NEW)
    pause(1.5)

    def day_three(_: list[State]) -> bool:
        phased = phased_of(ios)
        return phased is not None and phased["day"] >= 3

    resumed = drive(
        release(action="resume", operator="ops-lee", reason="fixed server-side flag"),
        between=day_three,
    )
    assert is_deferred(resumed[-1]), messages(resumed)
    assert "resume by ops-lee" in messages(resumed)
    assert phased_states(ios) == ["PAUSED", "ACTIVE"]
    assert ios.version(NEW[0])["phased_release"]["state"] == "ACTIVE"


def test_a_freeze_on_a_checkpoint_day_pauses_and_resumes_after_it(
    shared_clock: ManualClock, ios: Ios
) -> None:
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    incident: list[str] = []

    def p1_on_day_three(states: list[State]) -> bool:
        phased = phased_of(ios)
        if not incident and phased and phased["day"] == 3:
            incident.append(ios.control.pd_open_incident("Payments down", priority="P1"))
        elif incident and phased and phased["state"] == "PAUSED" and len(incident) == 1:
            assert phased["day"] == 3  # Apple never moved past the checkpoint in the freeze
            pause(4)
            ios.control.pd_set_incident_status(incident[0], "resolved")
            incident.append("resolved")
        return len(incident) == 2 and phased is not None and phased["day"] >= 4

    states = drive(release(), between=p1_on_day_three)
    assert is_deferred(states[-1]), messages(states)
    assert len(incident) == 2
    assert phased_states(ios) == ["PAUSED", "ACTIVE"]
    assert "change freeze" in messages(states)


def test_rejection_fails_the_release_and_points_at_the_hotfix_path(
    shared_clock: ManualClock, ios: Ios
) -> None:
    ios.ci_upload(*NEW)
    ios.control.asc_app(
        IOS_APP_ID,
        "app.provii.wallet",
        review_outcome="reject",
        rejection_reason="Guideline 2.1 - App Completeness",
    )
    states = drive(release())
    final = states[-1]
    assert final.is_failed()
    assert "REJECTED" in (final.message or "") and "new version" in (final.message or "")
    assert ios.writes("/v1/appStoreVersionReleaseRequests", "POST") == []


def test_processing_invalid_fails_with_apples_words(shared_clock: ManualClock, ios: Ios) -> None:
    build_id = ios.ci_upload(*NEW)
    ios.control.asc_fail_processing(build_id, "INVALID")
    states = drive(release())
    final = states[-1]
    assert final.is_failed() and "INVALID" in (final.message or "")
    assert ios.state()["submissions"] == []


def test_the_pause_budget_warns_before_it_runs_out(shared_clock: ManualClock, ios: Ios) -> None:
    """A version already paused for 26 of Apple's 30 days: one warning, once, not per check."""
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    app = ios.stack.policy.ios_app("wallet")
    used: list[bool] = []

    def use_the_budget(states: list[State]) -> bool:
        phased = phased_of(ios)
        if phased and phased["state"] == "ACTIVE" and not used:
            ios.control.asc_set_pause_used(ios.version(NEW[0])["id"], days=26)
            used.append(True)
        return len(used) == 1 and phased is not None and phased["day"] >= 3

    drive(release(), between=use_the_budget)
    assert used
    found = asyncio.run(_artifacts_with("days of pause left"))
    assert len(found) == 1, found  # one alert, though every check since saw the budget low
    assert ios.version(NEW[0])["phased_release"]["state"] == "ACTIVE"  # a warning, not a pause
    assert app.pause_warning.total_seconds() / app.phased_day.total_seconds() == 7


async def _artifacts_with(text: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    async with get_client() as client:  # newest first: the server answers 200 at most
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="ios-wallet")),
            sort=ArtifactSort.CREATED_DESC,
        )
    return [str(a.data) for a in artifacts if text in str(a.data)]


def test_an_emergency_hotfix_goes_through_a_p1_freeze(shared_clock: ManualClock, ios: Ios) -> None:
    incident = ios.control.pd_open_incident("Wallet crashes on launch", priority="P1")
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    params = release(
        incident_id=incident,
        emergency_reason="the crash on launch is fixed only by this build",
        operator="ops-lee",
    )

    def live(_: list[State]) -> bool:
        found = ios.version_or_none(NEW[0])
        return found is not None and found["state"] == "READY_FOR_DISTRIBUTION"

    states = drive(params, between=live)
    assert ios.version(NEW[0])["state"] == "READY_FOR_DISTRIBUTION"
    assert "expedite" in messages(states)
    audits = asyncio.run(_artifacts_with("EMERGENCY"))
    assert audits


def test_a_release_without_an_incident_waits_out_the_p1(
    shared_clock: ManualClock, ios: Ios
) -> None:
    ios.control.pd_open_incident("Wallet crashes on launch", priority="P1")
    ios.ci_upload(*NEW)
    first = drive(release(), between=lambda s: "change freeze" in (s[-1].message or ""))
    assert "change freeze" in (first[-1].message or "")
    assert ios.state()["submissions"] == []


def test_a_lost_continuation_is_taken_by_advance_rollouts_and_not_acted_on_twice(
    shared_clock: ManualClock, android: Android, ios: Ios
) -> None:
    """The review ends while the rollout's continuation is lost: one advance-rollouts tick
    releases the version; the rollout's own run right after finds it released."""
    from flows.advance_rollouts import advance_rollouts

    ios.ci_upload(*NEW)
    ios.health(*NEW)

    def submitted(_: list[State]) -> bool:
        return bool(ios.state()["submissions"])

    drive(release(), between=submitted)  # then the continuation is lost
    pause(3)  # review over: pending developer release
    assert ios.version(NEW[0])["state"] == "PENDING_DEVELOPER_RELEASE"
    rows = asyncio.run(advance_rollouts())
    (row,) = [r for r in rows if r["app"] == "wallet (iOS)"]
    assert row["version"] == "2.4.0 (400)" and "released" in str(row["acted"])
    assert ios.version(NEW[0])["state"] == "READY_FOR_DISTRIBUTION"
    state = run_ios(**release())
    assert is_deferred(state) and "phase" in (state.message or "")
    assert len(ios.writes("/v1/appStoreVersionReleaseRequests", "POST")) == 1
    # the previous release (live, not ours) is left alone
    assert [r["version"] for r in rows if r["app"] == "wallet (iOS)"] == ["2.4.0 (400)"]

    # relctl rollout status shows the table the tick wrote, with its 100 % forecast
    import contextlib
    import io
    import json

    from relctl.cli import main

    asyncio.run(advance_rollouts())  # now in its phase: a row with Apple's day
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["rollout", "status", "--json", "--calendar-only"]) == 0
    (shown,) = [r for r in json.loads(out.getvalue()) if r["app"] == "wallet (iOS)"]
    assert shown["stage"] == "phase" and shown["forecast_100"]


def test_operator_actions_release_to_all_and_remove_from_sale_are_audited(
    shared_clock: ManualClock, ios: Ios
) -> None:
    ios.ci_upload(*NEW)
    ios.health(*NEW)

    def day_two(_: list[State]) -> bool:
        phased = phased_of(ios)
        return phased is not None and phased["day"] >= 2

    drive(release(), between=day_two)
    done = drive(release(action="release to all", operator="ops-lee", reason="fix verified"))
    assert done[-1].is_completed() and "live to 100 %" in (done[-1].message or "")
    assert phased_states(ios) == ["COMPLETE"]
    assert asyncio.run(_artifacts_with("release to all by ops-lee: fix verified"))

    # the drastic stop needs its confirmation: refused before App Store Connect is called
    before = len(ios.control.requests("app-store-connect"))
    refused = run_ios(**release(action="remove from sale", operator="ops-lee", reason="data leak"))
    assert refused.is_failed() and "confirm_remove_from_sale" in (refused.message or "")
    assert len(ios.control.requests("app-store-connect")) == before
    assert ios.state()["on_sale"] is True
    removed = run_ios(
        **release(
            action="remove from sale",
            operator="ops-lee",
            reason="data leak",
            confirm_remove_from_sale=True,
        )
    )
    assert removed.is_completed() and "no longer on the App Store" in (removed.message or "")
    assert ios.state()["on_sale"] is False
    assert asyncio.run(_artifacts_with("REMOVED FROM SALE by ops-lee"))


def test_lost_answers_and_outages_never_make_a_write_twice(
    shared_clock: ManualClock, ios: Ios
) -> None:
    """Apple applies each first write and the answer is lost; reads fail now and then: the
    release goes on and App Store Connect holds one of everything."""
    control = ios.control
    for method, path in (
        ("POST", "/v1/appStoreVersions"),
        ("POST", "/v1/reviewSubmissions"),
        ("POST", "/v1/reviewSubmissionItems"),
        ("PATCH", "/v1/reviewSubmissions/"),
        ("POST", "/v1/appStoreVersionReleaseRequests"),
    ):
        control.add_fault(
            "app-store-connect", "drop_after_commit", method=method, path_contains=path, count=1
        )
    control.add_fault(
        "app-store-connect", "status", status=503, path_contains="/v1/builds", count=2
    )
    control.add_fault("sentry", "rate_limit", count=1)
    ios.ci_upload(*NEW)
    ios.health(*NEW)

    def day_two(_: list[State]) -> bool:
        phased = phased_of(ios)
        return phased is not None and phased["day"] >= 2

    states = drive(release(), between=day_two)
    assert is_deferred(states[-1]), messages(states)
    assert all(f["fired"] == f["count"] for f in control.faults()), control.faults()  # all struck
    state = ios.state()
    assert [v["version_string"] for v in state["versions"]].count(NEW[0]) == 1
    (submission,) = state["submissions"]
    assert submission["items"] == [ios.version(NEW[0])["id"]]
    assert ios.version(NEW[0])["state"] == "READY_FOR_DISTRIBUTION"


def test_a_slow_review_alerts_once_then_the_release_goes_on(
    shared_clock: ManualClock, ios: Ios, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    from pathlib import Path

    import yaml

    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["profiles"]["sandbox"]["ios_apps"]["wallet"]["review_check_interval"] = "10s"
    slow = tmp_path / "policy.yaml"
    slow.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(slow))
    ios.ci_upload(*NEW)
    ios.health(*NEW)
    held: list[bool] = []

    def hold_then_approve(states: list[State]) -> bool:
        if ios.state()["submissions"] and not held:
            ios.control.asc_hold(IOS_APP_ID)
            held.append(True)
        elif held and len(_alerts("review is slow")) and len(held) == 1:
            pause(25)  # still in review: the next checks must not alert again
            held.append(True)
        elif len(held) == 2:
            ios.control.asc_approve(IOS_APP_ID)
            held.append(True)
        phased = phased_of(ios)
        return phased is not None and phased["day"] >= 1

    states = drive(release(), between=hold_then_approve)
    assert len(held) == 3, messages(states)
    assert len(_alerts("App Store review is slow")) == 1
    assert ios.version(NEW[0])["state"] == "READY_FOR_DISTRIBUTION"


def _alerts(text: str) -> list[str]:
    return asyncio.run(_artifacts_with(text))
