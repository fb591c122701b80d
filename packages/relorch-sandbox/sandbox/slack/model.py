"""What the sandbox's Slack holds: every message posted to an incoming webhook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SlackStore"]


@dataclass
class SlackStore:
    messages: list[dict[str, Any]] = field(default_factory=list)
