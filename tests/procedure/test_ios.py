"""The iOS procedure, step by step, as the core decides it from App Store Connect's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from procedure.health import Verdict
from procedure.ios import (
    IosTimeline,
    PhasedView,
    SessionsSample,
    Step,
    StoreView,
    decide,
    reconcile,
    sessions_verdict,
)
from procedure.ios_request import IosReleaseRequest, ios_target
from procedure.policy import parse_policy
from procedure.request import RequestError, parse_request
from tests.procedure.test_ios_phased_properties import APP

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
READY = StoreView("VALID", True, True)


def step(view: StoreView, timeline: IosTimeline | None = None, **kw: Any) -> Step:
    return decide(
        view, timeline or IosTimeline(), APP, significant=kw.get("significant", False), now=NOW
    ).step


def test_the_build_is_waited_for_then_judged_by_apples_processing() -> None:
    assert step(StoreView()) is Step.BUILD_WAIT
    assert step(StoreView("PROCESSING")) is Step.BUILD_WAIT
    assert step(StoreView("INVALID")) is Step.BUILD_FAILED
    assert step(StoreView("FAILED")) is Step.BUILD_FAILED
    assert step(StoreView("VALID")) is Step.COMPLIANCE
    assert step(StoreView("VALID", True)) is Step.BETA


def test_a_significant_change_soaks_24_hours_on_testflight() -> None:
    joined = IosTimeline(beta_since=NOW - timedelta(hours=23))
    assert step(READY, joined, significant=True) is Step.SOAK
    assert step(READY, joined, significant=False) is Step.SUBMIT
    # once a run said significant, a later run cannot shorten the soak
    assert step(READY, reconcile(joined, READY, NOW, significant=True)) is Step.SOAK
    assert (
        step(READY, IosTimeline(beta_since=NOW - timedelta(hours=24)), significant=True)
        is Step.SUBMIT
    )


def test_a_lost_timeline_starts_the_soak_now_never_earlier() -> None:
    decision = decide(READY, IosTimeline(), APP, significant=True, now=NOW)
    assert decision.step is Step.SOAK and decision.due == NOW + timedelta(hours=24)


def test_review_states_wait_alert_when_long_and_fail_on_rejection() -> None:
    def at(state: str, submitted: timedelta = timedelta(hours=1)) -> Any:
        view = StoreView("VALID", True, True, state)
        return decide(
            view, IosTimeline(submitted_at=NOW - submitted), APP, significant=False, now=NOW
        )

    assert at("WAITING_FOR_REVIEW").step is Step.REVIEW and not at("WAITING_FOR_REVIEW").overdue
    assert at("IN_REVIEW", timedelta(hours=49)).overdue
    for rejected in ("REJECTED", "METADATA_REJECTED", "INVALID_BINARY"):
        assert at(rejected).step is Step.REJECTED
    assert at("PENDING_DEVELOPER_RELEASE").step is Step.RELEASE
    assert at("PREPARE_FOR_SUBMISSION").step is Step.SUBMIT
    assert at("REPLACED_WITH_NEW_VERSION").step is Step.SUPERSEDED


def live(state: str, day: int, timeline: IosTimeline) -> Any:
    view = StoreView("VALID", True, True, "READY_FOR_DISTRIBUTION", PhasedView(state, day))
    return decide(view, timeline, APP, significant=False, now=NOW)


def test_a_checkpoint_day_near_its_end_without_a_passing_verdict_is_flagged() -> None:
    started = {3: NOW - APP.phased_day + APP.checkpoint_margin - timedelta(minutes=1)}
    closing = live("ACTIVE", 3, IosTimeline(day_since=started))
    assert closing.step is Step.PHASE and closing.checkpoint_closing
    passed = live("ACTIVE", 3, IosTimeline(day_since=started, passed_days=frozenset({3})))
    assert not passed.checkpoint_closing
    # day 2 (2 %) is no checkpoint of 1/5/10/50/100: nothing to judge before it ends
    assert not live("ACTIVE", 2, IosTimeline(day_since={2: started[3]})).checkpoint_closing
    # early in a checkpoint day the next look is due before the closing window opens
    early = live("ACTIVE", 4, IosTimeline(day_since={4: NOW}, health_checked_at=NOW))
    assert early.due == NOW + APP.health.check_interval


def test_complete_is_watched_then_done_and_a_pause_says_whose() -> None:
    assert live("COMPLETE", 7, IosTimeline(day_since={7: NOW})).step is Step.WATCH
    assert (
        live("COMPLETE", 7, IosTimeline(day_since={7: NOW - timedelta(days=2)})).step is Step.DONE
    )
    ours = live("PAUSED", 3, IosTimeline(paused_by="freeze"))
    assert ours.step is Step.PAUSED and "freeze" in ours.reason
    assert "not by us" in live("PAUSED", 3, IosTimeline()).reason


def test_sessions_verdict_no_data_is_never_a_pass() -> None:
    good = SessionsSample(0.999, 0.998, 5000)
    assert sessions_verdict(good, None, APP)[0] is Verdict.PASS
    assert sessions_verdict(SessionsSample(0.999, 0.998, 10), None, APP)[0] is Verdict.NO_DATA
    assert sessions_verdict(SessionsSample(0.999, None, 5000), None, APP)[0] is Verdict.NO_DATA
    assert sessions_verdict(SessionsSample(0.99, 0.999, 5000), None, APP)[0] is Verdict.FAIL
    # within the floor, but three times the previous release's crash rate: a regression
    verdict, why = sessions_verdict(
        SessionsSample(0.9970, 0.999, 5000), SessionsSample(0.9995, 0.9995, 5000), APP
    )
    assert verdict is Verdict.FAIL and "previous release" in why


POLICY_TEXT = """
version: 1
metadata: {owner: release-eng, last_updated: 2026-01-01, next_review: 2027-01-01}
services:
  verifier:
    repo: o/verifier
    account_id: acc
    environments: {production: {script: verifier, url: "https://v.example"}}
ios_apps:
  wallet:
    app_id: "1234567890"
    bundle_id: app.provii.wallet
    beta_groups: [Internal]
    repo: o/wallet-ios
    sessions: {organization: provii, project: wallet-ios}
"""


@pytest.fixture
def policy() -> Any:
    import yaml

    return parse_policy(yaml.safe_load(POLICY_TEXT), source="test policy")


def test_requests_name_the_bad_field_and_resolve_to_the_policys_app(policy: Any) -> None:
    good = {"app": "wallet", "version": "2.4.1", "build_number": "412", "significant": False}
    request = parse_request(IosReleaseRequest, good)
    assert ios_target(request, policy).name == "wallet"
    for bad, field in (
        ({"version": "2.4.1-beta"}, "version"),
        ({"build_number": ""}, "build_number"),
        ({"significant": None}, "significant"),
        ({"action": "resume"}, "needs operator and reason"),
        (
            {"action": "remove from sale", "operator": "ana", "reason": "data leak"},
            "confirm_remove_from_sale",
        ),
        ({"incident_id": "P1"}, "emergency_reason"),
        ({"colour": "blue"}, "colour"),
    ):
        with pytest.raises(RequestError, match=field):
            parse_request(IosReleaseRequest, {**good, **bad})
    with pytest.raises(RequestError, match="app: unknown iOS app 'walet'"):
        ios_target(parse_request(IosReleaseRequest, {**good, "app": "walet"}), policy)


def test_states_decided_by_the_version_need_no_build_view() -> None:
    """A reader skips the build's reads in these states: the build's view must not matter."""
    from procedure.ios import DECIDED_BY_VERSION, StoreView

    now = datetime(2026, 12, 1, tzinfo=UTC)
    timeline = IosTimeline(beta_since=now - timedelta(days=3), submitted_at=now)
    for state in sorted(DECIDED_BY_VERSION):
        bare = StoreView(version_state=state)
        full = StoreView("VALID", True, True, state)
        assert decide(bare, timeline, APP, significant=False, now=now) == decide(
            full, timeline, APP, significant=False, now=now
        ), state
