"""The freeze gate, checked right before every production-affecting step."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from procedure.freeze import FreezeObservations, FreezeVerdict, evaluate_freeze
from procedure.policy import Policy
from tasks.evidence import artifact_key, gate_markdown, publish, table


class Frozen(RuntimeError):
    def __init__(self, verdict: FreezeVerdict) -> None:
        self.verdict = verdict
        names = "; ".join(f"{r.source}: {r.name}" for r in verdict.reasons)
        when = verdict.next_allowed.isoformat() if verdict.next_allowed else "unknown"
        super().__init__(f"change freeze ({names}); next allowed instant {when}")


async def observe_freeze_sources(policy: Policy) -> FreezeObservations:
    """Live sources (incidents, maintenance) are read here; none are configured yet."""
    return FreezeObservations()


@task(name="freeze gate", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
async def freeze_gate(step: str, service: str, policy: Policy, at: datetime | None = None) -> FreezeVerdict:
    at = at or datetime.now(UTC)
    verdict = evaluate_freeze(at, policy.freeze, await observe_freeze_sources(policy))
    rows = [(r.source, r.name, r.start or "—", r.end or "open") for r in verdict.reasons]
    await publish(
        artifact_key("freeze", service, step),
        gate_markdown(
            f"Freeze gate before {step} — {service}",
            "FROZEN" if verdict.frozen else "clear",
            {"instant": at.isoformat(), "time zone": policy.freeze.timezone},
            table(("source", "reason", "from", "until"), rows) if rows else "No freeze holds.",
        ),
        f"freeze gate before {step}: {'frozen' if verdict.frozen else 'clear'}",
    )
    if verdict.frozen:
        get_run_logger().warning("frozen before %s: %s", step, Frozen(verdict))
    return verdict
