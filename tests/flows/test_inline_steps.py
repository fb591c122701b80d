"""flows/mobile.take_steps: a step due within the policy's moment is taken in the same run (one
run, not two); a later one ends the run with its continuation scheduled. Compressed time."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prefect.states import Completed

import flows.mobile as mobile
from procedure.android_request import AndroidReleaseRequest
from procedure.continuations import ContinuationRules
from tasks import clock

START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def handed_over(monkeypatch) -> list[datetime]:
    scheduled: list[datetime] = []

    class Policy:
        continuations = ContinuationRules(wait_inline_under=timedelta(seconds=5))

    async def hand_over_at(when: datetime, why: str, params: dict[str, Any], step: str):
        scheduled.append(when)
        return Completed(name="Deferred")

    monkeypatch.setattr(mobile, "current_policy", lambda: Policy())
    monkeypatch.setattr(mobile, "hand_over_at", hand_over_at)
    monkeypatch.setattr(mobile, "get_run_logger", lambda: logging.getLogger("test"))
    return scheduled


def request() -> AndroidReleaseRequest:
    return AndroidReleaseRequest.model_validate(
        {"app": "wallet", "version_code": 7, "significant": False}
    )


def steps(*due_in: float | None):
    """A fake step: the n-th call hands over to a step due in due_in[n] s (None: done)."""
    calls: list[datetime] = []

    async def one_step(req: AndroidReleaseRequest):
        calls.append(clock.now())
        gap = due_in[len(calls) - 1]
        if gap is None:
            return Completed(message="done")
        return mobile.Handover(clock.now() + timedelta(seconds=gap), "soak", req.model_dump(), "x")

    return one_step, calls


def test_a_step_due_in_half_a_second_is_taken_in_the_same_run(handed_over) -> None:
    one_step, calls = steps(0.5, None)
    with clock.use_clock(clock.ManualClock(START)):
        state = asyncio.run(mobile.take_steps(one_step, request()))
    assert state.message == "done" and handed_over == []  # one run, no continuation
    assert calls == [START, START + timedelta(seconds=0.5)]  # not before it was due


def test_a_step_beyond_the_moment_schedules_a_continuation(handed_over) -> None:
    one_step, calls = steps(0.5, 60.0, None)
    with clock.use_clock(clock.ManualClock(START)):
        state = asyncio.run(mobile.take_steps(one_step, request()))
    assert state.name == "Deferred" and len(calls) == 2
    assert handed_over == [START + timedelta(seconds=60.5)]
