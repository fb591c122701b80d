"""The clock flows and tasks read (tasks/clock.py): replaceable, and the only one they read."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tasks import clock
from tasks.clock import SYSTEM, ManualClock, use_clock

ROOT = Path(__file__).resolve().parents[2]
DIRECT = re.compile(
    r"datetime\.now\(|time\.time\(|time\.monotonic\(|asyncio\.sleep\(|datetime\.utcnow\("
)
START = datetime(2026, 6, 8, 1, 0, tzinfo=UTC)


def test_flows_and_tasks_read_time_only_through_the_clock() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in ("flows", "tasks")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if DIRECT.search(line)
    ]
    assert offenders == []


def test_a_sleep_on_the_manual_clock_moves_it_by_exactly_that_long() -> None:
    manual = ManualClock(START)
    asyncio.run(manual.sleep(90))
    assert manual.now() == START + timedelta(seconds=90) and manual.monotonic() == 90
    asyncio.run(manual.sleep(-5))  # a deadline already passed: no sleep, no going back
    assert manual.monotonic() == 90
    with pytest.raises(ValueError, match="does not go back"):
        manual.advance(-1)
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 6, 8))


def test_use_clock_replaces_it_for_the_block_only() -> None:
    manual = ManualClock(START)
    with use_clock(manual):
        assert clock.now() == START
        assert clock.now(START.tzinfo).tzinfo is UTC
        manual.advance(timedelta(days=1))
        assert clock.now().date() == START.date() + timedelta(days=1)
    assert clock.clock() is SYSTEM
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


def test_the_freeze_gate_judges_the_clocks_time() -> None:
    """The King's Birthday (NSW) freeze at 11:00 Sydney time on 8 June 2026 — read off the clock."""
    from tasks.freeze import CALENDAR_ONLY, freeze_verdict
    from tasks.policy_file import load_policy

    policy = load_policy(ROOT / "policy" / "release-policy.yaml")
    with use_clock(ManualClock(START)) as manual:
        assert asyncio.run(freeze_verdict(policy, sources=CALENDAR_ONLY)).frozen
        manual.advance(timedelta(days=2))
        assert not asyncio.run(freeze_verdict(policy, sources=CALENDAR_ONLY)).frozen
