"""`relctl automations apply`: crash detection as Prefect's zombie-flow recipe, applied by name
(twice is once), a window no longer than the heartbeat refused before any API call."""

from __future__ import annotations

import pytest

from relctl.automations import crash_detection
from relctl.cli import main


def test_crash_detection_is_a_proactive_heartbeat_trigger_that_marks_crashed() -> None:
    automation = crash_detection(90)
    trigger = automation.trigger
    assert trigger.posture == "Proactive"  # type: ignore[union-attr]
    assert trigger.after == {"prefect.flow-run.heartbeat"}  # type: ignore[union-attr]
    assert trigger.within.total_seconds() == 90  # type: ignore[union-attr]
    assert trigger.for_each == {"prefect.resource.id"}  # type: ignore[union-attr]
    # any later event of the run is a sign of life: named ends (Deferred, Superseded) and a
    # suspended sign-off, whose heartbeats stop on purpose, are never marked Crashed
    assert trigger.expect == {"prefect.flow-run.*"}  # type: ignore[union-attr]
    assert [a.type for a in automation.actions] == ["change-flow-run-state"]
    assert automation.actions[0].state == "CRASHED"  # type: ignore[union-attr]


@pytest.mark.parametrize("window", [0, 30, -5])
def test_a_window_not_longer_than_the_heartbeat_is_refused_by_name(
    window: float, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["automations", "apply", "--missed-after", str(window)]) == 2
    assert "--missed-after" in capsys.readouterr().err
