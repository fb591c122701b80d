"""`start_release`: which existing run under the key is handed back, and which is replaced."""

from __future__ import annotations

from typing import Any

import pytest

from relctl.trigger import DeadRun, start_release


class FakeApi:
    def __init__(self, existing: dict[str, dict[str, Any]]) -> None:
        self.existing = existing  # key -> run
        self.calls: list[tuple[str, list[str] | None]] = []

    def create_flow_run(
        self, dep: str, params: dict[str, Any], idempotency_key: str, tags: Any = None
    ):
        self.calls.append((idempotency_key, tags))
        if idempotency_key in self.existing:
            return self.existing[idempotency_key], False
        run = {"id": f"new-{len(self.calls)}", "name": "new", "state": {"type": "SCHEDULED"}}
        self.existing[idempotency_key] = run
        return run, True

    def follow(self, run_id: str) -> dict[str, Any]:
        return next(r for r in self.existing.values() if r["id"] == run_id)


def run(state: str, run_id: str = "old") -> dict[str, Any]:
    return {"id": run_id, "name": "quiet-fox", "state": {"type": state, "message": "killed"}}


@pytest.mark.parametrize("state", ["COMPLETED", "FAILED", "RUNNING", "SCHEDULED"])
def test_a_live_or_answered_run_is_handed_back(state: str) -> None:
    api = FakeApi({"k": run(state)})
    got, created, replaced = start_release(api, "d", {}, "k", resume=True)  # type: ignore[arg-type]
    assert got["id"] == "old" and not created and replaced is None


@pytest.mark.parametrize("state", ["CRASHED", "CANCELLED", "CANCELLING"])
def test_a_dead_run_is_refused_or_replaced(state: str) -> None:
    api = FakeApi({"k": run(state)})
    with pytest.raises(DeadRun, match="old.*--resume"):
        start_release(api, "d", {}, "k", resume=False)  # type: ignore[arg-type]
    got, created, replaced = start_release(api, "d", {}, "k", resume=True)  # type: ignore[arg-type]
    assert created and replaced == "old"
    assert api.calls[-1] == ("k~retry-old", ["replaces:old"])
