"""The freeze gate in a real Workers release: incidents, maintenance, unreadable sources, and a
frozen run that hands over to its own scheduled continuation and resumes by itself."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from relctl.trigger import TERMINAL
from tests.scenarios.conftest import Stack
from tests.scenarios.test_workers_deploy import created_deployments, run_release
from tests.scenarios.worker import served_deployments, wait_for

pytestmark = [pytest.mark.scenario]


def _frozen_before_production(
    stack: Stack, service: str, state: Any, reason: str, earlier_deploys: int = 0
) -> None:
    assert state.is_failed(), state.message
    assert "change freeze" in (state.message or "") and reason in (state.message or ""), (
        state.message
    )
    assert len(created_deployments(stack, service, "production")) == earlier_deploys


def test_active_p1_incident_freezes_production(stack: Stack) -> None:
    stack.control.pd_open_incident("Checkout broken", priority="P1")
    release = stack.prepare("verifier")
    state = run_release(release.parameters)
    _frozen_before_production(stack, "verifier", state, "Checkout broken")
    # the sandbox is not frozen: it was deployed and verified before the gate
    assert stack.live_version("verifier", "sandbox") == release.parameters["version_ids"]["sandbox"]


def test_p3_incident_and_low_urgency_without_priority_do_not_freeze(stack: Stack) -> None:
    stack.control.pd_open_incident("Slow admin page", priority="P3")
    stack.control.pd_open_incident("Untriaged alert", priority=None, urgency="low")
    release = stack.prepare("edge-router")
    assert run_release(release.parameters).is_completed()


def test_incident_without_priority_but_high_urgency_freezes_production(stack: Stack) -> None:
    # untriaged, or an account with priorities switched off: the page is urgent, so it is a P1/P2
    stack.control.pd_open_incident("Untriaged pager storm", priority=None, urgency="high")
    release = stack.prepare("edge-router")
    state = run_release(release.parameters)
    _frozen_before_production(stack, "edge-router", state, "Untriaged pager storm")
    assert "no priority, urgency high" in (state.message or "")


def test_incident_opened_over_30_days_ago_still_freezes(stack: Stack) -> None:
    # PagerDuty's list defaults to the last 30 days; the client asks for date_range=all
    stack.control.pd_open_incident(
        "Long-running outage",
        priority="P2",
        status="acknowledged",
        created_at=datetime.now(UTC) - timedelta(days=45),
    )
    release = stack.prepare("edge-router")
    _frozen_before_production(
        stack, "edge-router", run_release(release.parameters), "Long-running outage"
    )


def test_unreadable_incident_source_fails_closed(stack: Stack) -> None:
    stack.control.add_fault("pagerduty", "status", status=503)
    release = stack.prepare("edge-router")
    _frozen_before_production(
        stack, "edge-router", run_release(release.parameters), "incident status unknown"
    )


def test_maintenance_only_freezes_for_the_named_components(stack: Stack) -> None:
    now = datetime.now(UTC)
    stack.control.status_post_maintenance(
        "cloudflare",
        "LHR (London) on 2026-11-26",
        components=["London, United Kingdom - (LHR)"],
        scheduled_for=now - timedelta(minutes=5),
        scheduled_until=now + timedelta(hours=4),
    )
    release = stack.prepare("edge-router")
    assert run_release(release.parameters).is_completed()
    stack.control.status_post_maintenance(
        "cloudflare",
        "Workers platform upgrade",
        components=["Workers"],
        scheduled_for=now - timedelta(minutes=5),
        scheduled_until=now + timedelta(hours=4),
    )
    second = stack.prepare("edge-router", pr_number=43)
    _frozen_before_production(
        stack, "edge-router", run_release(second.parameters), "Workers platform upgrade", 1
    )


def test_frozen_run_schedules_its_continuation_and_resumes_by_itself(stack: Stack) -> None:
    incident = stack.control.pd_open_incident("Payments down", priority="P1")
    release = stack.prepare("edge-router")
    keys = (
        "RELORCH_POLICY",
        "RELORCH_PROFILE",
        "RELORCH_SANDBOX_URL",
        "RELORCH_GITHUB_API_URL",
        "RELORCH_CLOUDFLARE_API_URL",
        "GITHUB_TOKEN",
        "CLOUDFLARE_API_TOKEN",
        "PAGERDUTY_API_TOKEN",
    )
    with served_deployments({k: os.environ[k] for k in keys}) as api:
        deployment = api.deployment_id("workers-deploy", "standard")
        run, created = api.create_flow_run(
            deployment, release.parameters, idempotency_key="freeze-test"
        )
        assert created
        first = api.wait(run["id"], timeout_s=90)
        assert first["state"]["type"] == "COMPLETED" and first["state"]["name"] == "Deferred"
        assert "Payments down" in first["state"]["message"]
        assert created_deployments(stack, "edge-router") == []

        def continuation() -> dict[str, Any] | None:
            found = api.runs_tagged(f"continues:{run['id']}")
            return found[0] if found else None

        resumed = wait_for(continuation, 10)
        assert resumed["state"]["type"] in ("SCHEDULED", "PENDING", "RUNNING", "COMPLETED")
        # while the incident stays open the continuation keeps deferring; resolve it
        stack.control.pd_set_incident_status(incident, "resolved")

        def released() -> dict[str, Any] | None:
            chain = api.follow(run["id"])
            return (
                chain
                if chain["state"]["type"] in TERMINAL and chain["state"]["name"] != "Deferred"
                else None
            )

        final = wait_for(released, 120, poll=1.0)
        assert final["state"]["type"] == "COMPLETED", final["state"]
    assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]
    assert len(created_deployments(stack, "edge-router")) == 1


def test_freeze_status_writes_the_calendar_and_the_verdict(stack: Stack) -> None:
    import asyncio

    from flows.freeze_status import freeze_status
    from tests.scenarios.test_workers_deploy import artifacts_of

    now = datetime.now(UTC)
    stack.control.status_post_maintenance(
        "cloudflare",
        "Workers KV migration",
        components=["Workers"],
        scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=3),
    )
    stack.control.pd_open_incident("Login outage", priority="P2")
    state = asyncio.run(freeze_status(days=14, return_state=True))  # type: ignore[call-overload]
    assert state.is_completed(), state.message
    artifacts = artifacts_of(state)
    assert "Workers KV migration" in artifacts["freeze-calendar"]
    assert "FROZEN" in artifacts["freeze-now"] and "Login outage" in artifacts["freeze-now"]


def test_a_continuation_that_waited_out_a_freeze_never_overwrites_a_newer_release(
    stack: Stack,
) -> None:
    from tests.scenarios.test_workers_deploy import _deploy_directly, _upload

    incident = stack.control.pd_open_incident("Payments down", priority="P1")
    older = stack.prepare("edge-router", pr_number=7)
    newer_sha = "c" * 40
    stack.control.ready_pull(stack.policy.service("edge-router").repo, 8, newer_sha)  # merged after
    keys = (
        "RELORCH_POLICY",
        "RELORCH_PROFILE",
        "RELORCH_SANDBOX_URL",
        "RELORCH_GITHUB_API_URL",
        "RELORCH_CLOUDFLARE_API_URL",
        "GITHUB_TOKEN",
        "CLOUDFLARE_API_TOKEN",
        "PAGERDUTY_API_TOKEN",
    )
    with served_deployments({k: os.environ[k] for k in keys}) as api:
        deployment = api.deployment_id("workers-deploy", "standard")
        run, _ = api.create_flow_run(deployment, older.parameters, idempotency_key="order-test")
        first = api.wait(run["id"], timeout_s=90)
        assert first["state"]["name"] == "Deferred", first["state"]
        # while it waits, the newer commit goes out (the fix for the incident itself)
        newer = _upload(stack, "edge-router", "production", tag=newer_sha)
        _deploy_directly(stack, "edge-router", newer, "emergency: payments fix")
        stack.control.pd_set_incident_status(incident, "resolved")

        def ended() -> dict[str, Any] | None:
            chain = api.follow(run["id"])
            return (
                chain
                if chain["state"]["type"] in TERMINAL and chain["state"]["name"] != "Deferred"
                else None
            )

        final = wait_for(ended, 120, poll=1.0)
    assert final["state"]["name"] == "Superseded", final["state"]
    assert (
        newer_sha in final["state"]["message"]
        and older.parameters["git_sha"] in final["state"]["message"]
    )
    assert stack.live_version("edge-router") == newer
    assert len(created_deployments(stack, "edge-router")) == 1  # the fix only
