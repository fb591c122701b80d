"""procedure/continuations.py: which waits a run sleeps through, which end it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from procedure.continuations import ContinuationRules, inline_wait
from procedure.policy import PolicyError, parse_policy
from tests.procedure.test_policy import POLICY

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
RULES = ContinuationRules(wait_inline_under=timedelta(seconds=5))


def test_a_step_due_within_the_moment_is_slept_for_exactly() -> None:
    assert inline_wait(NOW, NOW + timedelta(seconds=0.5), RULES) == 0.5
    assert inline_wait(NOW, NOW - timedelta(seconds=3), RULES) == 0.0  # overdue: at once


def test_a_later_step_hands_over() -> None:
    assert inline_wait(NOW, NOW + timedelta(seconds=5), RULES) is None
    assert inline_wait(NOW, NOW + timedelta(hours=24), RULES) is None


def test_zero_always_hands_over_and_a_run_takes_only_so_many_steps() -> None:
    off = ContinuationRules(wait_inline_under=timedelta(0))
    assert inline_wait(NOW, NOW, off) is None
    assert inline_wait(NOW, NOW, RULES, steps_taken=RULES.inline_steps_max) is None


def test_policy_file_sets_it_and_a_long_wait_is_refused() -> None:
    document = yaml.safe_load(POLICY.read_text())
    assert parse_policy(document).continuations.wait_inline_under == timedelta(seconds=5)
    bad = copy.deepcopy(document)
    bad["continuations"] = {"wait_inline_under": "10m"}
    with pytest.raises(PolicyError, match="wait_inline_under"):
        parse_policy(bad)
