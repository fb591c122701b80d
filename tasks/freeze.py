"""The freeze gate, checked right before every production-affecting step: read the live sources
(PagerDuty incidents, Cloudflare's scheduled maintenance), ask the core, leave the evidence.

A source that cannot be read is passed to the core as a failure: it fails closed unless the
policy relaxes that source.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect.variables import Variable

from clients import ProviderError
from procedure.freeze import (
    FreezeObservations,
    FreezeVerdict,
    Incident,
    Maintenance,
    SourceFailure,
    evaluate_freeze,
)
from procedure.policy import Policy
from tasks import clock, providers
from tasks.evidence import artifact_key, gate_markdown, publish, table
from tasks.notify import notify
from tasks.prefect_writes import conflict_client, delete_variable, write_variable

CALENDAR_ONLY = frozenset({"calendar"})


class Frozen(RuntimeError):
    def __init__(self, verdict: FreezeVerdict) -> None:
        self.verdict = verdict
        super().__init__(f"change freeze ({describe(verdict)}); next allowed {next_look(verdict)}")


def describe(verdict: FreezeVerdict) -> str:
    return "; ".join(f"{r.source}: {r.name}" for r in verdict.reasons) or "no freeze"


def next_look(verdict: FreezeVerdict) -> str:
    if verdict.next_allowed:
        return verdict.next_allowed.isoformat()
    if verdict.recheck_at:
        return f"unknown (checking again at {verdict.recheck_at.isoformat()})"
    return "unknown"


async def read_incidents(policy: Policy) -> tuple[list[Incident], list[SourceFailure]]:
    source = policy.sources.pagerduty
    if not source.enabled:
        return [], []
    try:
        async with providers.pagerduty(source.base_url) as pd:
            found = await pd.active_incidents(
                service_ids=tuple(source.service_ids), team_ids=tuple(source.team_ids)
            )
    except (ProviderError, OSError) as error:
        return [], [SourceFailure(source="incidents", detail=f"PagerDuty: {error}")]
    return [
        Incident(
            id=i.id,
            title=i.title,
            priority=i.priority,
            status=i.status,
            url=i.html_url,
            source="pagerduty",
            urgency=i.urgency,
        )
        for i in found
    ], []


async def read_maintenance(policy: Policy) -> tuple[list[Maintenance], list[SourceFailure]]:
    source = policy.sources.cloudflare_status
    if not source.enabled:
        return [], []
    try:
        async with providers.statuspage(source.base_url) as page:
            found = await page.scheduled_maintenances()
    except (ProviderError, OSError) as error:
        return [], [SourceFailure(source="maintenance", detail=f"Cloudflare status: {error}")]
    return [
        Maintenance(
            id=m.id,
            name=m.name,
            status=m.status,
            scheduled_for=m.scheduled_for,
            scheduled_until=m.scheduled_until,
            components=m.components,
            component_groups=m.component_groups,
            url=m.shortlink,
        )
        for m in found
    ], []


async def observe_freeze_sources(policy: Policy) -> FreezeObservations:
    (incidents, failed_i), (maintenances, failed_m) = await asyncio.gather(
        read_incidents(policy), read_maintenance(policy)
    )
    return FreezeObservations(
        incidents=tuple(incidents),
        maintenances=tuple(maintenances),
        failures=tuple(failed_i + failed_m),
    )


async def freeze_verdict(
    policy: Policy, at: datetime | None = None, sources: frozenset[str] | None = None
) -> FreezeVerdict:
    """The verdict at `at` (now by default); `sources={"calendar"}` reads no provider."""
    at = at or clock.now()
    observed = (
        FreezeObservations() if sources == CALENDAR_ONLY else await observe_freeze_sources(policy)
    )
    return evaluate_freeze(at, policy.freeze, observed)


@task(name="freeze gate", retries=0, cache_policy=NO_CACHE)
async def freeze_gate(step: str, subject: str, policy: Policy) -> FreezeVerdict:
    verdict = await freeze_verdict(policy)
    rows = [
        (r.source, r.name, r.start or "—", r.end or "open", r.link or "") for r in verdict.reasons
    ]
    body = (
        table(("source", "reason", "from", "until", "link"), rows) if rows else "No freeze holds."
    )
    if verdict.notes:
        body += "\n\nNotes:\n" + "\n".join(f"- {n}" for n in verdict.notes)
    await publish(
        artifact_key("freeze", subject, step),
        gate_markdown(
            f"Freeze gate before {step} — {subject}",
            "FROZEN" if verdict.frozen else "clear",
            {
                "instant": verdict.at.isoformat(),
                "time zone": policy.freeze.timezone,
                "next allowed": next_look(verdict) if verdict.frozen else "now",
            },
            body,
            thresholds={
                "on freeze": policy.freeze.on_freeze,
                "holiday states": ", ".join(policy.freeze.holidays.states),
                "maintenance components": ", ".join(policy.freeze.maintenance.components) or "none",
            },
        ),
        f"freeze gate before {step}: {'FROZEN — ' + describe(verdict) if verdict.frozen else 'clear'}",
    )
    log = get_run_logger()
    for note in verdict.notes:
        log.info("freeze note: %s", note)
    if verdict.frozen:
        log.warning(
            "frozen before %s: %s; next allowed %s", step, describe(verdict), next_look(verdict)
        )
    else:
        await _say_lifted(subject)
    return verdict


def _said_name(subject: str) -> str:
    return "freeze_said_" + re.sub(r"[^a-z0-9_]", "_", subject.lower())[:200]


async def say_deferred(subject: str, verdict: FreezeVerdict, label: str, continues: str) -> None:
    """A production step of `subject` (as given to `freeze_gate`) waits for the freeze: said once
    per freeze — a continuation meeting the same freeze again says nothing — and once more when
    `freeze_gate` finds it lifted. `label` names the release in the message."""
    said = describe(verdict)
    read: Callable[..., Awaitable[object]] = Variable.aget  # typed as returning None in 3.9
    before = await read(_said_name(subject), default=None)
    if isinstance(before, dict) and before.get("freeze") == said:
        return
    notify("deferred", label, f"change freeze ({said}): {continues}")
    async with conflict_client() as client:
        await write_variable(client, _said_name(subject), {"freeze": said, "label": label})


async def _say_lifted(subject: str) -> None:
    read: Callable[..., Awaitable[object]] = Variable.aget
    before = await read(_said_name(subject), default=None)
    if not isinstance(before, dict):
        return
    notify(
        "freeze lifted",
        str(before.get("label") or subject),
        f"the freeze is over ({before.get('freeze')}): the release goes on",
    )
    async with conflict_client() as client:
        await delete_variable(client, _said_name(subject))
