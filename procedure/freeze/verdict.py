"""What the core answers: the verdict for one instant, and calendar windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ReasonSource = Literal["incident", "holiday", "maintenance", "declared", "source-unavailable"]
WindowSource = Literal["incident", "holiday", "maintenance", "declared"]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class FreezeReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: ReasonSource
    name: str
    start: datetime | None
    end: datetime | None  # None: no known end (open incident, overrunning maintenance)
    link: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "name": self.name,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "link": self.link,
        }


class FreezeVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    frozen: bool
    reasons: tuple[FreezeReason, ...]
    # == at when not frozen; None when an open-ended reason holds (then see recheck_at).
    next_allowed: datetime | None
    recheck_at: datetime | None
    notes: tuple[str, ...] = ()

    @property
    def retry_at(self) -> datetime | None:
        """When a frozen change should look again: the next allowed instant when it is known,
        else the recheck. None when neither is known."""
        return self.next_allowed or self.recheck_at

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "frozen": self.frozen,
            "reasons": [r.to_json_dict() for r in self.reasons],
            "next_allowed": _iso(self.next_allowed),
        }


class FreezeWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: WindowSource
    name: str
    start: datetime
    end: datetime | None  # None: open-ended (in-progress maintenance, declared open incident)
    link: str | None = None
