"""Production is never left unverified: what to do with a production deployment record that no
run finished (its run crashed, was cancelled or lost its server mid-watch). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

UNFINISHED = frozenset({None, "queued", "pending", "in_progress"})


@dataclass(frozen=True)
class RecordView:
    """A GitHub deployment record of the production environment and its latest status."""

    id: int
    version_id: str | None
    window_s: float | None  # the watch it was started with (payload), None when not recorded
    latest_state: str | None


@dataclass(frozen=True)
class Recovery:
    action: Literal["resume", "stale"]
    record_id: int
    version_id: str | None
    deadline: datetime | None  # resume: the end of the original window (may be past: one round)
    reason: str


def decide_recovery(
    records: list[RecordView], live_version: str, live_since: datetime, fallback_window: timedelta
) -> list[Recovery]:
    """Unfinished records, newest first: the newest one of the live version resumes its watch for
    the rest of its window (live_since + window, never now + window); every other one is stale —
    what it deployed no longer serves (someone rolled back or deployed over it)."""
    out: list[Recovery] = []
    resumed = False
    for record in sorted(records, key=lambda r: r.id, reverse=True):
        if record.latest_state not in UNFINISHED:
            continue
        if record.version_id == live_version and not resumed:
            window = timedelta(seconds=record.window_s) if record.window_s else fallback_window
            known = "recorded" if record.window_s else "not recorded; the significant window"
            out.append(
                Recovery(
                    "resume",
                    record.id,
                    record.version_id,
                    live_since + window,
                    f"version {live_version} live since {live_since.isoformat()} was "
                    f"never verified; watch until live since + {window} ({known})",
                )
            )
            resumed = True
        else:
            out.append(
                Recovery(
                    "stale",
                    record.id,
                    record.version_id,
                    None,
                    f"version {record.version_id} no longer serves (live: "
                    f"{live_version}); its run never finished",
                )
            )
    return out
