"""Post-deploy verification signals: health endpoint, error rate against the baseline, and the key
flow challenge → proof → verification. Each returns a verdict; the core decides what it means."""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE

from procedure.health import ProbeOutcome, Totals, Verdict, sliding_error_rate_verdict
from procedure.policy import EnvironmentName, MonitorRules, WorkerService
from tasks import clock, providers


def _span(window: timedelta) -> str:
    seconds = window.total_seconds()
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


async def _totals(svc: WorkerService, script: str, start: datetime, end: datetime) -> Totals:
    if end <= start:
        return Totals(0, 0)
    async with providers.cloudflare() as cf:
        got = await cf.invocation_totals(svc.account_id, script, start, end)
    return Totals(got.requests, got.errors)


@task(name="measure error-rate baseline", retries=0, cache_policy=NO_CACHE)
async def measure_baseline(
    service: WorkerService, environment: EnvironmentName, before: datetime, monitor: MonitorRules
) -> Totals:
    script = service.environments[environment].script
    return await _totals(service, script, before - monitor.baseline_window, before)


async def probe_health(svc: WorkerService, environment: EnvironmentName) -> ProbeOutcome | None:
    if svc.health_path is None:
        return None
    url = svc.environments[environment].url + svc.health_path
    async with providers.worker_probe() as probe:
        result = await probe.health(url)
    verdict = Verdict.PASS if result.ok else Verdict.FAIL
    return ProbeOutcome("health", verdict, f"{result.status_code or 'no answer'}: {result.detail}")


async def probe_key_flow(svc: WorkerService, environment: EnvironmentName) -> ProbeOutcome | None:
    if svc.key_flow is None:
        return None
    base = svc.environments[environment].url
    flow = svc.key_flow
    async with providers.worker_probe() as probe:
        result = await probe.key_flow(
            base + flow.challenge, base + flow.proof, base + flow.verification
        )
    if result.ok:
        return ProbeOutcome("key-flow", Verdict.PASS, "challenge → proof → verification ok")
    return ProbeOutcome("key-flow", Verdict.FAIL, f"{result.failed_step} failed: {result.detail}")


@task(name="verification round", retries=0, cache_policy=NO_CACHE)
async def verification_round(
    service: WorkerService,
    environment: EnvironmentName,
    live_since: datetime,
    baseline: Totals | None,
    monitor: MonitorRules,
    with_error_rate: bool = True,
) -> list[ProbeOutcome]:
    outcomes = [
        o
        for o in (
            await probe_health(service, environment),
            await probe_key_flow(service, environment),
        )
        if o
    ]
    if with_error_rate:
        script = service.environments[environment].script
        # Analytics filters are whole seconds: widen to the seconds that hold the live period
        # (the sandbox, like Cloudflare, has nothing to report beyond its own now).
        start = live_since.replace(microsecond=0)
        end = clock.now() - monitor.analytics_lag
        end = end.replace(microsecond=0) + (
            timedelta(seconds=1) if end.microsecond else timedelta()
        )
        current = await _totals(service, script, start, end)
        # and the last sliding window (whole seconds too): a late spike is not diluted
        window = monitor.sliding_window
        recent_start = max(start, (end - window).replace(microsecond=0))
        recent = await _totals(service, script, recent_start, end)
        check = sliding_error_rate_verdict(
            current, recent, baseline, service.error_rate, _span(window)
        )
        outcomes.append(ProbeOutcome("error-rate", check.verdict, check.detail))
    return outcomes
