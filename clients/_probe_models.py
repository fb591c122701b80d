"""What the Worker probe reports. Probes describe failures; they do not raise them."""

from __future__ import annotations

from typing import Literal

from clients._models import Frozen

__all__ = ["HealthProbe", "KeyFlowProbe"]


class HealthProbe(Frozen):
    ok: bool
    status_code: int | None  # None when no answer came at all
    detail: str
    version_id: str | None  # the version that answered, when the Worker says
    latency_ms: float


class KeyFlowProbe(Frozen):
    ok: bool
    failed_step: Literal["challenge", "proof", "verification"] | None
    detail: str
    version_id: str | None
