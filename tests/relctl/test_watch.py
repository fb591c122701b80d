"""`--watch`: each step of the chain said once as it happens, with its UI link; the exit code is
the verdict of the chain's newest run."""

from __future__ import annotations

from typing import Any

import pytest

from relctl.watch import EXIT, Watcher, ui_url


def run(rid: str, kind: str, name: str, message: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "name": f"wallet 101{' → ' + rid if rid != 'r1' else ''}",
        "state": {
            "type": kind,
            "name": name,
            "message": message,
            "timestamp": "2026-12-04T01:02:03Z",
        },
        **extra,
    }


class Script:
    """A chain that moves on at each poll."""

    def __init__(self, frames: list[list[dict[str, Any]]]) -> None:
        self.frames, self.polls = frames, 0

    def chain(self, run_id: str) -> list[dict[str, Any]]:
        frame = self.frames[min(self.polls, len(self.frames) - 1)]
        self.polls += 1
        return frame


def watch(frames: list[list[dict[str, Any]]], timeout: float = 100.0) -> tuple[int, list[str]]:
    lines: list[str] = []
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    code = Watcher(
        Script(frames), "http://ui:4200", lines.append, monotonic=lambda: now[0], sleep=sleep
    ).watch("r1", timeout)
    return code, lines


DEFERRED = run("r1", "COMPLETED", "Deferred", "soak: next step due 2026-12-05T00:00:00+00:00 ")
NEXT = run("r2", "SCHEDULED", "Scheduled", expected_start_time="2026-12-05T00:00:00+00:00")


def test_each_step_is_said_once_with_links_and_the_deferral_says_until_when() -> None:
    code, lines = watch(
        [
            [run("r1", "RUNNING", "Running")],
            [run("r1", "RUNNING", "Running")],
            [DEFERRED],  # its continuation not created yet: nothing said
            [DEFERRED, NEXT],
            [DEFERRED, run("r2", "RUNNING", "Running")],
            [DEFERRED, run("r2", "COMPLETED", "Completed", "wallet 101 is live to 100 % of users")],
        ]
    )
    assert code == EXIT["released"] == 0
    assert lines == [
        "wallet 101: http://ui:4200/runs/flow-run/r1",
        "[01:02:03] wallet 101: running",
        "[01:02:03] wallet 101: deferred until 2026-12-05T00:00:00+00:00: soak: next step due "
        "2026-12-05T00:00:00+00:00",
        "wallet 101 → r2: http://ui:4200/runs/flow-run/r2",
        "[01:02:03] wallet 101 → r2: scheduled for 2026-12-05T00:00:00+00:00",
        "[01:02:03] wallet 101 → r2: running",
        "[01:02:03] wallet 101 → r2: completed: wallet 101 is live to 100 % of users",
        "verdict: released — wallet 101 → r2 (http://ui:4200/runs/flow-run/r2)",
    ]


@pytest.mark.parametrize(
    ("final", "verdict"),
    [
        (run("r1", "FAILED", "Failed", "health gate failed"), "failed"),
        (run("r1", "CRASHED", "Crashed"), "failed"),
        (run("r1", "CANCELLED", "Cancelled"), "failed"),
        (run("r1", "COMPLETED", "Superseded", "production runs a newer sha"), "superseded"),
    ],
)
def test_the_exit_code_is_the_verdict(final: dict[str, Any], verdict: str) -> None:
    code, lines = watch([[final]])
    assert code == EXIT[verdict]
    assert lines[-1].startswith(f"verdict: {verdict}")


def test_a_chain_still_waiting_at_the_timeout_exits_3_saying_where_it_is() -> None:
    code, lines = watch([[DEFERRED, NEXT]], timeout=5)
    assert code == EXIT["timeout"] == 3
    assert "not finished after --timeout 5 s" in lines[-1] and "scheduled for" in lines[-1]


def test_a_sign_off_wait_is_said_and_watched_on() -> None:
    waiting = run("r1", "PAUSED", "Suspended", "waiting for the sign-off")
    code, lines = watch([[waiting], [waiting], [run("r1", "COMPLETED", "Completed")]])
    assert code == 0
    assert sum("waiting for an answer in the UI" in line for line in lines) == 1


def test_the_ui_is_beside_the_api_unless_prefect_ui_url_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PREFECT_UI_URL", raising=False)
    assert ui_url("http://127.0.0.1:4200/api") == "http://127.0.0.1:4200"
    monkeypatch.setenv("PREFECT_UI_URL", "https://prefect.example/ui/")
    assert ui_url("http://127.0.0.1:4200/api") == "https://prefect.example/ui"
