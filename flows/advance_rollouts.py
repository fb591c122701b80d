"""`advance-rollouts`: the cron safety net behind every rollout's scheduled continuation.

Every few minutes: for each Android app in the policy, list the rollouts in flight *from Google Play*
(production releases in progress, halted or in review — not from memory — and internal-track
versions a run of ours started that wait to be promoted), decide for each
whether a step is due, and take it. It holds the app's slot while it looks, so when a rollout's
own continuation fires at the same time one of them acts and the other finds nothing due. It
refreshes one table artifact of every active rollout, web and mobile.

iOS the same way, from App Store Connect: each version of ours on its way (in review, waiting for
its release) or live with its phased release running, paused or inside its health watch.

For Workers it is the safety net of the on-crash automation: a service whose production release
was deployed but never finished its verification (a GitHub deployment record still in progress,
while nobody holds the service's slot) gets a `workers-recover/on-crash` run, which resumes the
watch or rolls back. The run is started, not awaited: a tick never waits out a 2-hour watch.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from prefect import flow
from prefect.deployments.flow_runs import arun_deployment
from prefect.exceptions import ObjectNotFound
from prefect.logging import get_run_logger

from flows.android_steps import StepResult, rollout_step
from flows.ios_steps import IosStepResult, ios_step
from procedure.android import Timeline, quiet_until
from procedure.ios import IosTimeline
from procedure.ios import quiet_until as ios_quiet_until
from procedure.phased_release import percentage
from procedure.policy import AndroidApp, IosApp, Policy
from procedure.recovery import UNFINISHED
from tasks import clock
from tasks.app_store import releases_in_flight
from tasks.evidence import policy_review, publish_table
from tasks.freeze import freeze_verdict
from tasks.limits import app_limit, ios_app_limit, release_limit
from tasks.play import read_play
from tasks.record import read_deployment_records
from tasks.settings import current_policy, load_credential_blocks
from tasks.slots import hold_slot
from tasks.timeline import (
    android_timelines,
    has_ios_timeline,
    ios_timelines,
    load_ios_timeline,
    load_timeline,
    read_all_timelines,
)

SLOT_WAIT = timedelta(seconds=30)  # an app busy with its own run is being looked after: next tick
RECOVER = "workers-recover/on-crash"
APP_CONCURRENCY = 8  # apps read at once: bounded, so a tick keeps every provider's rate budget
# A skip needs the quiet to outlast the runner's early start of a continuation (DESIGN 2)
QUIET_MARGIN = timedelta(seconds=1)


def _row(app: str, result: StepResult) -> dict[str, object]:
    return {
        "app": app,
        "version": result.version_code,
        "stage": result.decision.step.value,
        "fraction": f"{result.fraction:.0%}",
        "acted": result.acted or "",
        "next action": result.decision.reason if not result.acted else (result.message or ""),
        "when": result.next_check.isoformat() if result.next_check else "",
        "blocking": result.final or ("" if result.acted else result.message),
    }


async def _watched(name: str, app: AndroidApp, code: int) -> bool:
    since = (await load_timeline(name, code)).since(1.0)
    return since is not None and clock.now() < since + app.vitals.watch_after_complete


async def advance_android(policy: Policy) -> list[dict[str, object]]:
    """Every Android app, a few at a time. An app whose stored timelines all say quiet (each
    rollout of ours mid-stage, with its soak and its next health check still ahead) is neither
    read nor locked: its row comes from the timeline. Every other app is read under its slot, and
    any step is decided on that read (the truth is the store, read while no one else can act)."""
    stored = await read_all_timelines()
    gate = asyncio.Semaphore(APP_CONCURRENCY)
    now = clock.now()

    async def one(name: str, app: AndroidApp) -> list[dict[str, object]]:
        quiet = _quiet_rows(name, app, android_timelines(stored, name), now)
        if quiet is not None:
            return quiet
        async with gate:
            return await _advance_app(name, app, policy)

    per_app = await asyncio.gather(*(one(n, a) for n, a in policy.android_apps.items()))
    return [row for rows in per_app for row in rows]


def _quiet_rows(
    name: str, app: AndroidApp, timelines: dict[int, Timeline], now: datetime
) -> list[dict[str, object]] | None:
    """Rows for an app with nothing that could be due before the next tick looks, or None when
    the store must be read: no timeline of ours in flight, or one that could be due now."""
    live = {c: t for c, t in timelines.items() if not _over(t, app, now)}
    if not live:
        return None  # nothing of ours known in flight: only the store can say (a lost record too)
    rows: list[dict[str, object]] = []
    for code, timeline in sorted(live.items()):
        until = quiet_until(timeline, app)
        if until is None or until - QUIET_MARGIN <= now:
            return None
        fraction = float(max(timeline.stage_since, key=float))
        rows.append(
            {
                "app": name,
                "version": code,
                "stage": "stage",
                "fraction": f"{fraction:.0%}",
                "acted": "",
                "next action": "soak and health checks on schedule (from the stored timeline)",
                "when": until.isoformat(),
                "blocking": "",
            }
        )
    return rows


def _over(timeline: Timeline, app: AndroidApp, now: datetime) -> bool:
    """A rollout past 100 % and its post-100 % watch: finished, not in flight."""
    done = timeline.since(1.0)
    return done is not None and now >= done + app.vitals.watch_after_complete


async def _advance_app(name: str, app: AndroidApp, policy: Policy) -> list[dict[str, object]]:
    log = get_run_logger()
    rows: list[dict[str, object]] = []
    try:
        async with hold_slot(app_limit(name), min(SLOT_WAIT, policy.slots.wait), policy):
            state = await read_play(app)
            codes = [max(r.version_codes) for r in state.in_flight()]
            # …and versions our runs put through internal testing that are waiting to be
            # promoted (a continuation lost after a soak or a commit refused while in review)
            codes += [
                c
                for c in state.awaiting_promotion()
                if (await load_timeline(name, c)).internal_since is not None
            ]
            # …and completed releases still inside their post-100 % vitals watch
            codes += [c for c in state.completed_codes() if await _watched(name, app, c)]
            for code in codes:
                result = await rollout_step(app, policy, version_code=code, state=state)
                if result.acted:
                    log.info("%s %s: %s", name, code, result.acted)
                    state = await read_play(app)  # the store changed: read it again
                rows.append(_row(name, result))
    except TimeoutError:
        log.info("%s is busy with its own run; next tick", name)
        rows.append(_busy(name))
    except Exception as error:  # noqa: BLE001 - one app's trouble must not stop the others
        log.error("%s (Android): %s; next tick", name, error)
        rows.append({**_busy(name), "stage": "error", "next action": str(error)[:200]})
    return rows


async def advance_ios(policy: Policy) -> list[dict[str, object]]:
    """Every iOS release of ours App Store Connect shows on its way or live, a few apps at a
    time. An app whose stored timelines all say quiet is neither read nor locked: with no freeze,
    each phased release of ours running with its next health check, checkpoint and Apple's day
    end still ahead; in a freeze, each one already paused for it (a running one must be read, to
    be paused). Every other app is read under its slot (its own continuation, if it fires too,
    then finds nothing due). So a long freeze costs one read per phase, not one per tick: App
    Store Connect's budget is about 3,600 requests an hour per key."""
    stored = await read_all_timelines()
    now = clock.now()
    ours = {name: app for name, app in policy.ios_apps.items() if has_ios_timeline(stored, name)}
    # versions with no timeline are not ours to drive: no need to look. One look at the freeze
    # per tick: it decides which phases can be left alone.
    frozen = bool(ours) and (await freeze_verdict(policy)).frozen
    quiet: dict[str, list[dict[str, object]]] = {}
    looked: list[str] = []
    for name, app in ours.items():
        rows = _quiet_ios_rows(name, app, ios_timelines(stored, name), now, frozen=frozen)
        if rows is None:
            looked.append(name)
        else:
            quiet[name] = rows
    gate = asyncio.Semaphore(APP_CONCURRENCY)

    async def one(name: str) -> list[dict[str, object]]:
        async with gate:
            return await _advance_ios_app(name, policy.ios_app(name), policy)

    per_app = await asyncio.gather(*(one(name) for name in looked))
    return [row for rows in [*per_app, *quiet.values()] for row in rows]


def _quiet_ios_rows(
    name: str, app: IosApp, timelines: list[IosTimeline] | None, now: datetime, *, frozen: bool
) -> list[dict[str, object]] | None:
    """Rows for an app whose releases of ours need nothing before the next tick looks, or None
    when the store must be read."""
    if timelines is None:
        return None
    rows: list[dict[str, object]] = []
    for timeline in timelines:
        done = timeline.day_since.get(7)
        if done is not None and now >= done + app.health.watch_after_complete:
            continue  # live to 100 % and watched: over
        if frozen:
            if timeline.paused_by != "freeze" or not timeline.day_since:
                return None  # a running phase is paused for the freeze: read it
            stage, until, why = "paused", None, "paused for the freeze until it lifts"
        else:
            until = ios_quiet_until(timeline, app)
            if until is None or until - QUIET_MARGIN <= now:
                return None
            why = "health checks on schedule (from the stored timeline)"
            stage = "watch" if max(timeline.day_since) >= 7 else "phase"
        rows.append(
            {
                "app": f"{name} (iOS)",
                "version": f"{timeline.version} ({timeline.build})",
                "stage": stage,
                "fraction": f"{percentage(max(timeline.day_since)):.0%}",
                "acted": "",
                "next action": why,
                "when": until.isoformat() if until else "",
                "blocking": "change freeze" if frozen else "",
            }
        )
    return rows


async def _advance_ios_app(name: str, app: IosApp, policy: Policy) -> list[dict[str, object]]:
    log = get_run_logger()
    rows: list[dict[str, object]] = []
    try:
        async with hold_slot(ios_app_limit(name), min(SLOT_WAIT, policy.slots.wait), policy):
            for version, build in await releases_in_flight(app):
                timeline = await load_ios_timeline(name, version, build)
                if timeline == IosTimeline():
                    continue  # not started by a run of ours: not ours to drive
                result = await ios_step(
                    app, policy, version=version, build=build, significant=timeline.significant
                )
                if result.acted:
                    log.info("%s %s (%s): %s", name, version, build, "; ".join(result.acted))
                if result.final not in ("done", "superseded"):  # over: not in flight
                    rows.append(_ios_row(name, version, build, result))
    except TimeoutError:
        log.info("%s (iOS) is busy with its own run; next tick", name)
        rows.append(_busy(f"{name} (iOS)"))
    except Exception as error:  # noqa: BLE001 - one app's trouble must not stop the others
        log.error("%s (iOS): %s; next tick", name, error)
        rows.append({**_busy(f"{name} (iOS)"), "stage": "error", "next action": str(error)[:200]})
    return rows


def _ios_row(app: str, version: str, build: str, result: IosStepResult) -> dict[str, object]:
    return {
        "app": f"{app} (iOS)",
        "version": f"{version} ({build})",
        "stage": result.decision.step.value,
        "fraction": result.offered,
        "acted": "; ".join(result.acted),
        "next action": result.message,
        "when": result.next_check.isoformat() if result.next_check else "",
        "blocking": result.final or "",
    }


def _busy(app: str) -> dict[str, object]:
    return {
        "app": app,
        "version": "",
        "stage": "busy",
        "fraction": "",
        "acted": "",
        "next action": "its own run holds the slot",
        "when": "",
        "blocking": "",
    }


async def recover_unverified_workers(policy: Policy) -> list[dict[str, object]]:
    """Start a recovery for each service with an unfinished production record and a free slot
    (a slot held means its release is alive and finishing its own watch)."""
    log = get_run_logger()
    rows: list[dict[str, object]] = []
    for name, service in policy.services.items():
        try:
            async with hold_slot(release_limit(name), min(SLOT_WAIT, policy.slots.wait), policy):
                unfinished = [
                    r
                    for r in await read_deployment_records(service, "production")
                    if r.latest_state in UNFINISHED
                ]
        except TimeoutError:
            continue  # its own run holds the slot and finishes its own watch
        if not unfinished:
            continue
        newest = max(r.id for r in unfinished)
        # keyed by the record: two ticks never start two recoveries of one release
        try:
            run = await arun_deployment(
                RECOVER,
                parameters={"service": name},
                timeout=0,
                as_subflow=False,
                idempotency_key=f"recover:{name}:{newest}",
            )
        except ObjectNotFound:  # not deployed: say so every tick, and let the mobile work go on
            log.error(
                "%s: production release not verified (GitHub deployment %s) and %s is not "
                "deployed: run `prefect deploy --all`",
                name,
                newest,
                RECOVER,
            )
            rows.append(
                {
                    "app": name,
                    "version": "",
                    "stage": "unverified",
                    "fraction": "",
                    "acted": "",
                    "next action": "recovery",
                    "when": "",
                    "blocking": f"{RECOVER} is not deployed",
                }
            )
            continue
        log.warning(
            "%s: production release not verified (GitHub deployment %s): started %s",
            name,
            newest,
            run.name,
        )
        rows.append(
            {
                "app": name,
                "version": "",
                "stage": "unverified",
                "fraction": "",
                "acted": f"started {RECOVER} ({run.name})",
                "next action": "recovery",
                "when": "",
                "blocking": "",
            }
        )
    return rows


@flow(name="advance-rollouts")
async def advance_rollouts() -> list[dict[str, object]]:
    policy = current_policy()
    review = policy_review(policy)
    await load_credential_blocks()
    rows: list[dict[str, object]] = []
    rows += await advance_android(policy)
    rows += await advance_ios(policy)
    rows += await recover_unverified_workers(policy)
    await publish_table(
        "active-rollouts", rows, f"{len(rows)} rollout(s) in flight; policy: {review}"
    )
    failed = [f"{r['app']}: {r['next action']}" for r in rows if r["stage"] == "error"]
    if failed:  # every other app was looked after; the tick still says it was not all well
        raise RuntimeError(f"advance-rollouts could not look at {'; '.join(failed)}")
    return rows
