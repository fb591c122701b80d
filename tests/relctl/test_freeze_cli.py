"""`relctl freeze` from the shell, reading no provider (`--sources calendar`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def relctl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELORCH_")}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return subprocess.run(
        [sys.executable, "-m", "relctl.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_verdict_json_at_the_sydney_edge_of_christmas() -> None:
    before = relctl("freeze", "--sources", "calendar", "--json", "--at", "2026-12-24T12:59:59Z")
    after = relctl("freeze", "--sources", "calendar", "--json", "--at", "2026-12-24T13:00:00Z")
    assert before.returncode == 0, before.stderr
    assert after.returncode == 1, after.stderr  # frozen: a shell step can gate on it
    quiet, frozen = json.loads(before.stdout), json.loads(after.stdout)
    assert set(frozen) == {"at", "frozen", "reasons", "next_allowed"}
    assert quiet["frozen"] is False and quiet["reasons"] == []
    assert frozen["frozen"] is True
    assert [r["name"] for r in frozen["reasons"]] == ["Christmas Day"]
    assert {"source", "name", "start", "end"} <= set(frozen["reasons"][0])
    # Christmas and Boxing Day run together: allowed again at midnight starting Sun 27 Dec
    assert frozen["next_allowed"].startswith("2026-12-27T00:00:00+11:00")


def test_calendar_lists_the_substitute_day() -> None:
    result = relctl(
        "freeze",
        "--calendar",
        "--from",
        "2026-12-20",
        "--days",
        "14",
        "--sources",
        "calendar",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    windows = json.loads(result.stdout)
    starts = [w["start"][:10] for w in windows]
    assert starts == ["2026-12-25", "2026-12-28", "2027-01-01"]
    assert all(w["source"] == "holiday" for w in windows)
    assert "observed" in windows[1]["name"].lower()


def test_bad_instant_is_a_clear_error() -> None:
    result = relctl("freeze", "--sources", "calendar", "--at", "next tuesday")
    assert result.returncode == 2
    assert "Invalid isoformat" in result.stderr or "next tuesday" in result.stderr


def test_kings_birthday_nsw_is_frozen_by_default() -> None:
    result = relctl("freeze", "--at", "2026-06-08T01:00:00Z", "--sources", "calendar", "--json")
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["frozen"] is True
    assert [r["name"] for r in verdict["reasons"]] == ["King's Birthday (NSW)"]
    assert verdict["next_allowed"].startswith("2026-06-09T00:00:00+10:00")


def test_frozen_exits_1_and_clear_exits_0_in_the_text_form() -> None:
    frozen = relctl("freeze", "--sources", "calendar", "--at", "2026-12-25T01:00:00Z")
    clear = relctl("freeze", "--sources", "calendar", "--at", "2026-12-23T01:00:00Z")
    assert (frozen.returncode, clear.returncode) == (1, 0), frozen.stderr + clear.stderr
    assert "FROZEN" in frozen.stdout and "Christmas Day" in frozen.stdout
    assert "not frozen" in clear.stdout
