"""Shared builders for the freeze tests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SYD = ZoneInfo("Australia/Sydney")
PERTH = ZoneInfo("Australia/Perth")


def utc(text: str) -> datetime:
    """'2026-12-24T13:00:00' -> that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def syd(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SYD)
