"""Notifications, one per state change: each is a Prefect event (`relorch.notification.<kind>`
on the release it is about); the `relorch: notify` automation (relctl automations apply) turns
every such event into one message through the webhook block — Slack's incoming webhook in the
team's set-up, the sandbox's in `make run`. A check that finds nothing new sends nothing: the
callers notify where the state changes (a pause, a halt, a rollback, a freeze deferral), never
per check."""

from __future__ import annotations

import re

from prefect.events import emit_event

from tasks.evidence import redact

__all__ = ["EVENT_PREFIX", "notify"]

EVENT_PREFIX = "relorch.notification."


def notify(kind: str, subject: str, text: str) -> None:
    """Emit the notification event (`kind`: alert, halted, paused, rolled-back, deferred…)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", kind.lower()).strip("-")
    emit_event(
        event=f"{EVENT_PREFIX}{slug}",
        resource={
            "prefect.resource.id": f"relorch.release.{subject}",
            "prefect.resource.name": subject,
        },
        payload={"kind": kind, "text": redact(text)},
    )
