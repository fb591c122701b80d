"""When each step of a mobile rollout happened, kept in a Prefect Variable per rollout.

Play says where a rollout is, not since when; the soak between stages needs the "since". This
is the only thing remembered outside the store, and `procedure.android.decide` reads a missing
entry as "just now" — a lost record delays a step, never hurries one.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from prefect.variables import Variable

from procedure.android import Timeline


def variable_name(app: str, version_code: int) -> str:
    return re.sub(r"[^a-z0-9_]", "_", f"rollout_{app}_{version_code}".lower())


async def load_timeline(app: str, version_code: int) -> Timeline:
    read: Callable[..., Awaitable[object]] = Variable.aget  # typed as returning None in 3.9
    raw = await read(variable_name(app, version_code), default=None)
    if not isinstance(raw, dict):
        return Timeline()

    def when(value: object) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    stages = raw.get("stage_since") or {}
    return Timeline(
        internal_since=when(raw.get("internal_since")),
        signed_off_by=raw.get("signed_off_by"),
        promoted_at=when(raw.get("promoted_at")),
        stage_since={k: v for k, v in ((k, when(v)) for k, v in stages.items()) if v},
        vitals_checked_at=when(raw.get("vitals_checked_at")),
        significant=bool(raw.get("significant")),
    )


async def save_timeline(app: str, version_code: int, timeline: Timeline) -> None:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    await Variable.aset(
        variable_name(app, version_code),
        {
            "internal_since": iso(timeline.internal_since),
            "signed_off_by": timeline.signed_off_by,
            "promoted_at": iso(timeline.promoted_at),
            "stage_since": {k: v.isoformat() for k, v in timeline.stage_since.items()},
            "vitals_checked_at": iso(timeline.vitals_checked_at),
            "significant": timeline.significant,
        },
        overwrite=True,
    )
