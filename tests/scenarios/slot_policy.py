"""The shipped policy with the slot rules the slot scenarios use (seconds)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from procedure.policy import Policy, SlotRules
from tasks.policy_file import load_policy

POLICY = Path(__file__).resolve().parents[2] / "policy" / "release-policy.yaml"
SLOTS = SlotRules(
    wait=timedelta(seconds=4),
    emergency_wait=timedelta(seconds=2),
    poll=timedelta(seconds=0.5),
    stale=timedelta(seconds=3),
)


def slot_policy() -> Policy:
    return load_policy(POLICY).model_copy(update={"slots": SLOTS})
