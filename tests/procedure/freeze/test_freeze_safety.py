"""Freeze safety over ≥ 10,000 generated cases (issue 12): no non-emergency production step
starts inside a freeze window, and no halt or pause is ever blocked by one.

Each case is a world (Australian holidays of 1–3 states with their substitute days, in Sydney or
another Australian zone; P1/P2/P3 incidents opening and resolving; Cloudflare maintenance
windows that start, overrun or end early; declared freezes and incidents; sources that cannot be
read), an instant (mostly on an edge: a window's start or end ± 1 µs, a local midnight, a Sydney
DST change) and one step of a plan: a Workers production deploy, an Android promotion, stage
advance or resume, an iOS submission, release, phase day or resume, and the safety actions — an
Android halt, an iOS pause on failing health — with or without an emergency.

The decision is the one the flows make: `tasks.freeze.freeze_verdict` (its sources replaced by
what the world shows at that instant) → `evaluate_freeze`, then for the rollouts
`procedure.android.decide` + `production_gate` and `procedure.ios.decide` + `freeze_matters` +
`phased_action`, glued as flows/android_steps.py and flows/ios_steps.py glue them. It is judged
against `naive_frozen`, written here from the policy's rule text alone.

Seeded generation, not hypothesis (measured on the shared 2-core machine: 1,000 hypothesis
examples of the simpler `strategies.scenarios` took 18 s, so 10,000 would take minutes; these
10,640 cases take 2–5 s). A failure names its seed, world and case, so it replays.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import tasks.freeze
from procedure import android, ios
from procedure.freeze import (
    DeclaredFreeze,
    DeclaredIncident,
    FreezeObservations,
    FreezePolicy,
    HolidayRules,
    Incident,
    Maintenance,
    MaintenanceRules,
    SourceErrorRules,
    SourceFailure,
)
from procedure.health import Verdict
from procedure.phased_release import PauseBudget
from procedure.policy import Policy
from tasks.policy_file import load_policy

from .strategies import AU_ZONES, STATES, oracle_is_holiday

ROOT = Path(__file__).resolve().parents[3]
POLICY = load_policy(ROOT / "policy" / "release-policy.yaml")
ANDROID_APP = POLICY.android_app("wallet")
IOS_APP = POLICY.ios_app("wallet")
SYDNEY = ZoneInfo("Australia/Sydney")
MIN_CASES = 10_000
WORLDS = 560
INSTANTS_PER_WORLD = 19  # x 560 worlds = 10,640 cases
SEED = 20261204
TICK = timedelta(microseconds=1)

# -- the oracle: the rule text, nothing of procedure.freeze ----------------------------------

# Which incidents are "an active P1/P2" under the default rules: P1/P2 by name or by the leading
# token, any case; no priority counts unless its urgency is low; triggered/acknowledged are open.
COUNTS = {"P1": True, "p2": True, "P1 - Critical": True, "P3": False, "SEV1": False}
OPEN = {"triggered", "acknowledged"}


@dataclass(frozen=True)
class WorldIncident:
    id: str
    priority: str | None
    urgency: str | None
    opened: datetime
    resolved: datetime | None  # None: still open
    resolved_listed: bool  # once resolved, PagerDuty may list it (status resolved) or not


@dataclass(frozen=True)
class WorldMaintenance:
    id: str
    start: datetime
    until: datetime  # scheduled_until
    ended: datetime  # when Cloudflare marks it completed (early, on time or overrun)
    components: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass
class World:
    policy: FreezePolicy
    incidents: list[WorldIncident]
    maintenances: list[WorldMaintenance]
    failing: dict[str, list[tuple[datetime, datetime]]]  # source -> outages [from, to)
    anchor: datetime
    edges: list[datetime] = field(default_factory=list)

    def observed(self, t: datetime) -> FreezeObservations:
        """What PagerDuty and Cloudflare's status page show at `t`."""
        incidents = []
        for i in self.incidents:
            if t < i.opened:
                continue
            resolved = i.resolved is not None and t >= i.resolved
            if resolved and not i.resolved_listed:
                continue
            status = (
                "resolved" if resolved else ("acknowledged" if i.id.endswith("a") else "triggered")
            )
            incidents.append(
                Incident(id=i.id, title="t", priority=i.priority, status=status, urgency=i.urgency)
            )
        maintenances = []
        for m in self.maintenances:
            if t < m.start:
                status = "scheduled"
            elif t < m.ended:
                status = "in_progress" if m.id.endswith("0") else "verifying"
            else:
                status = "completed"
            maintenances.append(
                Maintenance(
                    id=m.id,
                    name=m.id,
                    status=status,
                    scheduled_for=m.start,
                    scheduled_until=m.until,
                    components=m.components,
                    component_groups=m.groups,
                )
            )
        failures = [
            SourceFailure(source=source, detail="unreachable")  # type: ignore[arg-type]
            for source, spans in self.failing.items()
            if any(a <= t < b for a, b in spans)
        ]
        return FreezeObservations(
            incidents=tuple(incidents),
            maintenances=tuple(maintenances),
            failures=tuple(failures),
        )


def naive_frozen(world: World, t: datetime) -> bool:
    """Is `t` inside any freeze window, judged from the rule text and what the sources show?"""
    policy = world.policy
    rules = policy.holidays
    if oracle_is_holiday(
        t.astimezone(policy.zone).date(), rules.states, rules.include_kings_birthday
    ):
        return True
    if any(f.start <= t < f.end for f in policy.declared_freezes):
        return True
    if any(d.start <= t and (d.end is None or t < d.end) for d in policy.declared_incidents):
        return True
    seen = world.observed(t)
    for i in seen.incidents:
        if i.status in OPEN and (COUNTS[i.priority] if i.priority else i.urgency != "low"):
            return True
    components = {c.lower() for c in policy.maintenance.components}
    groups = {g.lower() for g in policy.maintenance.component_groups}
    for m in seen.maintenances:
        touches = components & {c.lower() for c in m.components} or groups & {
            g.lower() for g in m.component_groups
        }
        if not touches or m.status == "completed":
            continue
        if t < m.scheduled_for - policy.maintenance.margin_before:
            continue
        if m.status in ("in_progress", "verifying"):
            return True  # may overrun its schedule: open-ended until completed
        if t < m.scheduled_until + policy.maintenance.margin_after:
            return True
    errors = policy.on_source_error
    return any(getattr(errors, f.source) == "freeze" for f in seen.failures)


# -- generating worlds --------------------------------------------------------------------------


@cache
def sydney_dst_changes() -> tuple[datetime, ...]:
    """Every instant Sydney's UTC offset changes, 2025–2031 (found by walking the hours)."""
    changes = []
    t = datetime(2025, 1, 1, tzinfo=UTC)
    offset = t.astimezone(SYDNEY).utcoffset()
    while t.year < 2032:
        nxt = t + timedelta(hours=1)
        now = nxt.astimezone(SYDNEY).utcoffset()
        if now != offset:
            changes.append(nxt)  # offsets change on the hour in UTC here
            offset = now
        t = nxt
    return tuple(changes)


@cache
def holiday_days() -> tuple[date, ...]:
    days = {
        date(2025, 1, 1) + timedelta(days=n)
        for n in range(7 * 366)
        if oracle_is_holiday(date(2025, 1, 1) + timedelta(days=n), STATES, True)
    }
    return tuple(sorted(days))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def make_world(rng: random.Random) -> World:
    zone_name = "Australia/Sydney" if rng.random() < 0.7 else rng.choice(AU_ZONES)
    zone = ZoneInfo(zone_name)
    pick = rng.random()
    if pick < 0.4:  # a holiday's midnight, where substitute days and merged runs are
        anchor = local_midnight(rng.choice(holiday_days()), zone)
    elif pick < 0.65:  # a Sydney DST change, a holiday sometimes right beside it (Easter)
        anchor = rng.choice(sydney_dst_changes())
    else:
        anchor = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(7 * 365 * 86400)
        )
    anchor += timedelta(seconds=rng.randint(-86400, 86400)) if rng.random() < 0.5 else timedelta(0)

    def near(spread_s: int = 3 * 86400) -> datetime:
        return anchor + timedelta(seconds=rng.randint(-spread_s, spread_s))

    freezes = []
    for n in range(rng.choice([0, 0, 1, 1, 2])):
        if rng.random() < 0.4:  # on local midnights: it touches a holiday window
            day = anchor.astimezone(zone).date() + timedelta(days=rng.randint(-2, 2))
            start, end = (
                local_midnight(day, zone),
                local_midnight(day + timedelta(days=rng.randint(1, 2)), zone),
            )
        else:
            start = near()
            end = start + timedelta(seconds=rng.randint(1, 2 * 86400))
        freezes.append(DeclaredFreeze(start=start, end=end, reason=f"freeze {n}"))
    declared = []
    if rng.random() < 0.2:
        start = near()
        end = None if rng.random() < 0.3 else start + timedelta(seconds=rng.randint(60, 86400))
        declared.append(
            DeclaredIncident(
                id="INC-1",
                title="declared",
                priority=rng.choice(["P1", "p2"]),
                start=start,
                end=end,
            )
        )
    incidents = []
    for n in range(rng.choice([0, 0, 1, 2, 3])):
        opened = near()
        resolved = (
            None if rng.random() < 0.3 else opened + timedelta(seconds=rng.randint(60, 2 * 86400))
        )
        incidents.append(
            WorldIncident(
                id=f"PD{n}{rng.choice('ab')}",
                priority=rng.choice([*COUNTS, None]),
                urgency=rng.choice(["high", "low", None]),
                opened=opened,
                resolved=resolved,
                resolved_listed=rng.random() < 0.5,
            )
        )
    maintenances = []
    for n in range(rng.choice([0, 1, 1, 2, 3])):
        start = near()
        until = start + timedelta(seconds=rng.randint(0, 9 * 3600))
        ended = max(start, until + timedelta(seconds=rng.randint(-2 * 3600, 4 * 3600)))
        maintenances.append(
            WorldMaintenance(
                id=f"m{n}{rng.choice('01')}",
                start=start,
                until=until,
                ended=ended,
                components=tuple(
                    rng.sample(
                        ["Workers", "API", "LHR - London", "Cloudflare Sites"], rng.randint(0, 2)
                    )
                ),
                groups=tuple(rng.sample(["Oceania", "Europe"], rng.randint(0, 1))),
            )
        )
    failing: dict[str, list[tuple[datetime, datetime]]] = {}
    for source in ("incidents", "maintenance"):
        if rng.random() < 0.1:
            start = near()
            failing[source] = [(start, start + timedelta(seconds=rng.randint(60, 6 * 3600)))]
    policy = FreezePolicy(
        timezone=zone_name,
        holidays=HolidayRules(
            states=rng.sample(STATES, rng.randint(1, 3)), include_kings_birthday=rng.random() < 0.7
        ),
        maintenance=MaintenanceRules(
            components=rng.sample(["workers", "API"], rng.randint(0, 2)),
            component_groups=["OCEANIA"] if rng.random() < 0.3 else [],
            margin_before=timedelta(seconds=rng.choice([0, 900, 3600])),
            margin_after=timedelta(seconds=rng.choice([0, 900, 3600])),
        ),
        declared_freezes=freezes,
        declared_incidents=declared,
        on_source_error=SourceErrorRules(
            incidents="freeze" if rng.random() < 0.8 else "ignore",
            maintenance="freeze" if rng.random() < 0.8 else "ignore",
        ),
        recheck_interval=timedelta(minutes=rng.choice([1, 5, 30])),
    )
    world = World(policy, incidents, maintenances, failing, anchor)
    world.edges = _edges(world)
    return world


def _edges(world: World) -> list[datetime]:
    """The instants where a freeze starts or ends, each with its neighbours a microsecond away."""
    p = world.policy
    points: list[datetime] = [f.start for f in p.declared_freezes] + [
        f.end for f in p.declared_freezes
    ]
    points += [d.start for d in p.declared_incidents] + [
        d.end for d in p.declared_incidents if d.end
    ]
    points += [i.opened for i in world.incidents] + [
        i.resolved for i in world.incidents if i.resolved
    ]
    for m in world.maintenances:
        points += [
            m.start - p.maintenance.margin_before,
            m.until + p.maintenance.margin_after,
            m.ended,
        ]
    points += [a for spans in world.failing.values() for span in spans for a in span]
    local = world.anchor.astimezone(p.zone).date()
    points += [local_midnight(local + timedelta(days=n), p.zone) for n in range(-3, 4)]
    points += [c for c in sydney_dst_changes() if abs(c - world.anchor) < timedelta(days=4)]
    return [q + d for q in points for d in (-TICK, timedelta(0), TICK)]


# -- the plan: steps and how the flows decide them -------------------------------------------

FORWARD = (
    "workers deploy",
    "android promote",
    "android advance",
    "android resume",
    "ios submit",
    "ios release",
    "ios operator resume",
    "ios phase day",
    "ios resume after our pause",
)
SAFETY = ("android halt", "ios pause on failing health", "workers rollback")
VERDICTS = (Verdict.PASS, Verdict.NO_DATA, Verdict.FAIL, None)


@dataclass(frozen=True)
class Outcome:
    production_change: bool  # a forward change to production starts now
    safety_done: bool | None = None  # for a safety action: it was taken (not blocked)
    cannot_pause: bool = False  # iOS: the pause a freeze asks for does not fit Apple's budget


class Gates:
    """The flows' gate, through tasks/freeze.py, with the world's sources at the instant."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.world: World | None = None
        self.at: datetime | None = None

        async def observe(policy: Policy) -> FreezeObservations:
            assert self.world is not None and self.at is not None
            return self.world.observed(self.at)

        monkeypatch.setattr(tasks.freeze, "observe_freeze_sources", observe)

    async def verdict(self, world: World, policy: Policy, at: datetime) -> Any:
        self.world, self.at = world, at
        return await tasks.freeze.freeze_verdict(policy, at)


async def take_step(
    gates: Gates,
    world: World,
    policy: Policy,
    step: str,
    at: datetime,
    rng: random.Random,
    emergency: bool,
) -> Outcome:
    if step in (
        "workers deploy",
        "android resume",
        "ios submit",
        "ios release",
        "ios operator resume",
    ):
        # workers_deploy.standard_release, android_steps resume, ios_steps._freeze_allows:
        # the gate right before the change; frozen and not an emergency → it waits
        verdict = await gates.verdict(world, policy, at)
        if verdict.frozen:
            assert verdict.retry_at is not None and verdict.retry_at > at  # looks again later
        return Outcome(not verdict.frozen or emergency)
    if step == "workers rollback":
        # flows/verification.py: verification failed → deploy the version that served before; no
        # freeze is asked (test_safety_actions_never_read_the_freeze), the target is the history's
        return Outcome(False, safety_done=_rollback_target(at, rng) is not None)
    if step in ("android promote", "android advance", "android halt"):
        return await _android(gates, world, policy, step, at, rng, emergency)
    return await _ios(gates, world, policy, step, at, rng, emergency)


async def _android(
    gates: Gates,
    world: World,
    policy: Policy,
    step: str,
    at: datetime,
    rng: random.Random,
    emergency: bool,
) -> Outcome:
    app = ANDROID_APP
    if step == "android promote":
        view = android.PlayView(on_internal=True)
        timeline = android.Timeline(internal_since=at - app.internal_soak(False) - TICK)
        health = rng.choice((None, None, Verdict.FAIL))  # no stage users yet: judged later
    else:
        fraction = rng.choice(app.stages[:-1])
        view = android.PlayView(True, "inProgress", fraction, android.PUBLISHED)
        soak = (
            app.stage_soak * rng.uniform(0, 2) if step == "android halt" else app.stage_soak + TICK
        )
        timeline = android.Timeline(stage_since={android.stage_key(fraction): at - soak})
        health = Verdict.FAIL if step == "android halt" else rng.choice(VERDICTS)
    decision = android.decide(view, timeline, app, significant=False, now=at, has_bundle=False)
    # flows/android_steps.py: health first — a failure halts, the freeze not asked
    if health is Verdict.FAIL:
        halted = android.production_gate(decision.step, health, frozen=False, emergency=False)
        # and it would halt whatever a freeze said (DESIGN 10)
        for frozen in (True, False):
            for urgent in (True, False):
                gate = android.production_gate(
                    decision.step, health, frozen=frozen, emergency=urgent
                )
                assert gate is android.Gate.HALT
        return Outcome(False, safety_done=halted is android.Gate.HALT)
    assert decision.step in android.PRODUCTION_CHANGES, decision
    verdict = await gates.verdict(world, policy, at)
    gate = android.production_gate(
        decision.step, health, frozen=verdict.frozen, emergency=emergency
    )
    return Outcome(gate is android.Gate.CHANGE)


def _rollback_target(at: datetime, rng: random.Random) -> str | None:
    from procedure.workers import DeploymentView, rollback_target

    older = [
        DeploymentView(f"d{n}", at - timedelta(days=n + 1), ((f"v{n}", 100.0),))
        for n in range(rng.randint(1, 4))
    ]
    new = DeploymentView("new", at - timedelta(minutes=rng.randint(1, 120)), (("v-new", 100.0),))
    target = rollback_target([new, *older], "v-new")
    assert target == "v0", target  # the version that served right before
    return target


def _ios_world(
    at: datetime, rng: random.Random, state: str
) -> tuple[ios.StoreView, ios.IosTimeline]:
    app = IOS_APP
    day = rng.randint(1, 6)
    paused_for = app.phased_day * rng.choice([0, 0, 3, 20, 29, 29.9, 30])
    view = ios.StoreView("VALID", True, True, ios.LIVE, ios.PhasedView(state, day, paused_for))
    day_since = at - app.phased_day * rng.random()
    passed = frozenset(d for d in range(1, 7) if rng.random() < 0.5)
    timeline = ios.IosTimeline(
        day_since={day: day_since},
        passed_days=passed,
        health_checked_at=at - app.health.check_interval * rng.uniform(0, 2),
        paused_by=rng.choice(["freeze", "no data", "health", "operator", None])
        if state == "PAUSED"
        else None,
    )
    return view, timeline


async def _ios(
    gates: Gates,
    world: World,
    policy: Policy,
    step: str,
    at: datetime,
    rng: random.Random,
    emergency: bool,
) -> Outcome:
    app = IOS_APP
    paused = step == "ios resume after our pause"
    view, timeline = _ios_world(at, rng, "PAUSED" if paused else "ACTIVE")
    assert view.phased is not None
    decision = ios.decide(view, timeline, app, significant=False, now=at)
    assert decision.step is (ios.Step.PAUSED if paused else ios.Step.PHASE), decision
    health = Verdict.FAIL if step == "ios pause on failing health" else rng.choice(VERDICTS)
    # flows/ios_steps.py _phased: the freeze is read only when it matters
    frozen, freeze_left = False, None
    if ios.freeze_matters(decision, health, timeline.paused_by):
        verdict = await gates.verdict(world, policy, at)
        frozen = verdict.frozen
        if frozen and verdict.retry_at is not None:
            freeze_left = verdict.retry_at - at
    in_pause = app.phased_day if paused else timedelta(0)
    budget = PauseBudget(view.phased.paused_for + in_pause, day=app.phased_day)

    def act(frozen: bool, urgent: bool) -> tuple[ios.PhasedAction, Any, str]:
        return ios.phased_action(
            decision,
            health,
            timeline.paused_by,
            budget,
            frozen=frozen,
            emergency=urgent,
            freeze_left=freeze_left,
        )

    action, cause, _ = act(frozen, emergency)
    if health is Verdict.FAIL and not paused:
        # a pause for health: the same whatever a freeze says, refused only by Apple's budget
        assert {act(f, e)[:2] for f in (True, False) for e in (True, False)} == {(action, cause)}
        assert action is ios.PhasedAction.PAUSE or budget.left <= timedelta(0), (action, budget)
        return Outcome(
            False,
            safety_done=action is ios.PhasedAction.PAUSE,
            cannot_pause=action is ios.PhasedAction.CANNOT_PAUSE,
        )
    if paused:
        return Outcome(action is ios.PhasedAction.RESUME)
    # a running phased release: Apple moves it to the next day unless we pause it
    if action is ios.PhasedAction.CANNOT_PAUSE:
        full = budget.left <= timedelta(0) or not budget.allows(freeze_left or timedelta(0))
        assert full, (budget, freeze_left)
        return Outcome(False, cannot_pause=True)
    return Outcome(action is not ios.PhasedAction.PAUSE)


# -- the property ----------------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0
    frozen: int = 0
    by_step: Counter[str] = field(default_factory=Counter)
    changes_in_emergency_freeze: int = 0
    cannot_pause: int = 0


def run_cases(monkeypatch: pytest.MonkeyPatch, seed: int = SEED, worlds: int = WORLDS) -> Tally:
    gates = Gates(monkeypatch)
    tally = Tally()
    rng = random.Random(seed)

    async def run() -> None:
        for w in range(worlds):
            world = make_world(rng)
            policy = POLICY.model_copy(update={"freeze": world.policy})
            instants = rng.sample(world.edges, min(len(world.edges), INSTANTS_PER_WORLD - 4))
            instants += [
                world.anchor + timedelta(seconds=rng.randint(-3 * 86400, 3 * 86400))
                for _ in range(4)
            ]
            for at in instants:
                step = rng.choice(FORWARD + SAFETY)
                emergency = rng.random() < 0.2
                where = (
                    f"seed {seed}, world {w}, {step} at {at.isoformat()} (emergency={emergency})"
                )
                inside = naive_frozen(world, at)
                verdict = await gates.verdict(world, policy, at)
                assert verdict.frozen == inside, f"{where}: {verdict.reasons} vs the rule text"
                outcome = await take_step(gates, world, policy, step, at, rng, emergency)
                if step in SAFETY:
                    assert outcome.safety_done or outcome.cannot_pause, f"{where}: blocked"
                    assert not outcome.production_change
                elif outcome.production_change and inside:
                    assert emergency, f"{where}: a production step inside {verdict.reasons}"
                    tally.changes_in_emergency_freeze += 1
                tally.cases += 1
                tally.frozen += inside
                tally.by_step[step] += 1
                tally.cannot_pause += outcome.cannot_pause

    asyncio.run(run())
    return tally


def test_no_production_step_inside_a_freeze_and_no_safety_action_blocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tally = run_cases(monkeypatch)
    assert tally.cases >= MIN_CASES, f"only {tally.cases} cases ran: the profile was cut"
    # the generator reaches what it is for: frozen and free instants, every step, emergencies
    assert 0.2 < tally.frozen / tally.cases < 0.8, tally
    assert set(tally.by_step) == set(FORWARD + SAFETY)
    assert min(tally.by_step.values()) > MIN_CASES / len(tally.by_step) / 2, tally.by_step
    assert tally.changes_in_emergency_freeze > 0


def test_the_oracle_and_the_glue_are_not_vacuous(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same checks fail against a gate that ignores one kind of window, or an iOS glue that
    does not read the freeze for our own no-data pause (the bug this suite found)."""
    from procedure.freeze import evaluate

    real: Callable[..., Any] = evaluate.static_windows

    def no_declared(policy: FreezePolicy, observations: FreezeObservations) -> Any:
        return [w for w in real(policy, observations) if w.source != "declared"]

    with monkeypatch.context() as patched:
        patched.setattr(evaluate, "static_windows", no_declared)
        with pytest.raises(AssertionError, match="vs the rule text"):
            run_cases(patched, worlds=80)

    def old_glue(decision: ios.Decision, health: Verdict | None, paused_by: Any) -> bool:
        if decision.step is ios.Step.PHASE:
            return health is not Verdict.FAIL
        return decision.step is ios.Step.PAUSED and paused_by == "freeze"

    with monkeypatch.context() as patched:
        patched.setattr(ios, "freeze_matters", old_glue)
        with pytest.raises(AssertionError, match="a production step inside"):
            run_cases(patched, worlds=200)


def test_a_no_data_pause_is_not_lifted_inside_a_freeze() -> None:
    """The case in words: an iOS phased release we paused at a checkpoint for want of data; the
    data then passes, but a freeze has begun — the pause stays until the freeze is over."""
    at = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)  # Christmas Day in Sydney
    view = ios.StoreView("VALID", True, True, ios.LIVE, ios.PhasedView("PAUSED", 3))
    timeline = ios.IosTimeline(day_since={3: at - timedelta(hours=20)}, paused_by="no data")
    decision = ios.decide(view, timeline, IOS_APP, significant=False, now=at)
    assert ios.freeze_matters(decision, Verdict.PASS, "no data")
    budget = PauseBudget(IOS_APP.phased_day, day=IOS_APP.phased_day)
    action, cause, why = ios.phased_action(
        decision, Verdict.PASS, "no data", budget, frozen=True, emergency=False
    )
    assert (action, cause, why) == (ios.PhasedAction.CONTINUE, "no data", "still frozen")


# Where the safety actions live: the operator's halt (Android halt, iOS pause), the post-deploy
# verification and its rollback, the recovery of a release that died mid-watch, the rollout
# step's own halt on failing health, and iOS's removal from sale.
SAFETY_CODE = {
    "flows/rollout_halt.py": None,
    "flows/verification.py": None,
    "flows/recovery.py": None,
    "flows/workers_recover.py": None,
    "tasks/deploy.py": None,
    "flows/android_steps.py": ("_halt", "halt_on_play"),
}
FREEZE_NAMES = {"freeze_gate", "freeze_verdict", "evaluate_freeze", "_freeze_allows", "Frozen"}


@pytest.mark.parametrize("module", list(SAFETY_CODE))
def test_safety_actions_never_read_the_freeze(module: str) -> None:
    """No path to a halt, a pause or a rollback asks the freeze (DESIGN 10): the gates above
    then cannot block one, however they change."""
    import ast

    tree = ast.parse((ROOT / module).read_text())
    functions = SAFETY_CODE[module]
    scopes: list[ast.AST] = (
        [tree]
        if functions is None
        else [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions
        ]
    )
    assert scopes and (functions is None or len(scopes) == len(functions)), module
    used = {
        node.id if isinstance(node, ast.Name) else node.attr
        for scope in scopes
        for node in ast.walk(scope)
        if isinstance(node, ast.Name | ast.Attribute)
    }
    imported = {
        alias.name
        for scope in scopes
        for node in ast.walk(scope)
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("freeze")
        for alias in node.names
    }
    assert not (used | imported) & FREEZE_NAMES, f"{module} reads the freeze"
