"""Properties of an Android staged rollout driven only by the core (`decide`, `production_gate`,
`vitals_verdict`), over generated histories of time passing, health readings and freezes:

- a fraction is never lowered and a stage never skipped;
- no advance without a passing health verdict on the stage's users, none before its soak ends;
- no production change inside a freeze unless it is an emergency;
- a failing health verdict halts — freeze or not — and nothing changes after a halt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.android import (
    PUBLISHED,
    Gate,
    PlayView,
    Step,
    Timeline,
    VitalsSample,
    decide,
    next_stage,
    production_gate,
    stage_key,
    vitals_verdict,
)
from procedure.health import Verdict
from tasks.policy_file import load_policy

ROOT = Path(__file__).resolve().parents[2]
APP = load_policy(ROOT / "policy" / "release-policy.yaml").android_app("wallet")
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)

rates = st.one_of(st.none(), st.floats(0, 0.05, allow_nan=False))
samples = st.builds(VitalsSample, rates, rates, st.one_of(st.none(), st.integers(0, 100_000)))


@dataclass(frozen=True)
class Moment:
    after: timedelta  # time since the previous look
    vitals: VitalsSample
    frozen: bool
    emergency: bool


moments = st.builds(
    Moment,
    st.timedeltas(timedelta(0), APP.stage_soak * 2),
    samples,
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(moments, min_size=1, max_size=40), st.sampled_from(APP.stages[:-1]))
def test_a_rollout_moves_only_forward_one_stage_at_a_time_through_its_gates(
    history: list[Moment], start: float
) -> None:
    view = PlayView(
        on_internal=True,
        production_status="inProgress",
        production_fraction=start,
        lifecycle=PUBLISHED,
    )
    timeline = Timeline(promoted_at=T0, stage_since={stage_key(start): T0})
    now, halted = T0, False
    for moment in history:
        now += moment.after
        decision = decide(view, timeline, APP, significant=False, now=now, has_bundle=False)
        verdict = (
            vitals_verdict(moment.vitals, None, APP)[0] if decision.step is Step.ADVANCE else None
        )
        gate = production_gate(
            decision.step, verdict, frozen=moment.frozen, emergency=moment.emergency
        )
        if halted:
            assert decision.step is Step.HALTED and gate is not Gate.CHANGE
            continue
        if gate is Gate.HALT:
            assert verdict is Verdict.FAIL
            view, halted = replace(view, production_status="halted"), True
            continue
        if gate is not Gate.CHANGE:
            continue
        # a production change: every gate was passed
        assert decision.step is Step.ADVANCE and verdict is Verdict.PASS
        assert not moment.frozen or moment.emergency
        since = timeline.since(view.fraction)
        assert since is not None and now >= since + APP.stage_soak
        target = decision.target
        assert target is not None and target > view.fraction
        assert target == (next_stage(APP, view.fraction) or 1.0)
        view = (
            replace(view, production_status="completed", production_fraction=None)
            if target >= 1.0
            else replace(view, production_fraction=target)
        )
        timeline = replace(timeline, stage_since={**timeline.stage_since, stage_key(target): now})
    reached = [float(k) for k in timeline.stage_since]
    assert reached == sorted(reached)
    assert reached == [s for s in APP.stages if start <= s <= max(reached)]  # none skipped


@given(st.sampled_from(list(Step)), st.sampled_from([*Verdict, None]), st.booleans(), st.booleans())
def test_the_gate_order_halts_first_and_never_lets_a_change_through_a_freeze(
    step: Step, verdict: Verdict | None, frozen: bool, emergency: bool
) -> None:
    gate = production_gate(step, verdict, frozen=frozen, emergency=emergency)
    if verdict is Verdict.FAIL:
        assert gate is Gate.HALT  # a safety action: never blocked by a freeze
    elif step not in (Step.PROMOTE, Step.ADVANCE):
        assert gate is Gate.NOT_A_CHANGE
    elif frozen and not emergency:
        assert gate is Gate.FROZEN
    elif step is Step.ADVANCE:
        assert gate is (Gate.CHANGE if verdict is Verdict.PASS else Gate.NO_DATA)
    else:
        assert gate is Gate.CHANGE


@given(samples, st.one_of(st.none(), samples))
def test_the_vitals_verdict_against_an_oracle(
    current: VitalsSample, previous: VitalsSample | None
) -> None:
    rules = APP.vitals
    verdict, why = vitals_verdict(current, previous, APP)
    if (
        (current.distinct_users or 0) < rules.min_distinct_users
        or current.user_perceived_crash_rate is None
        or current.user_perceived_anr_rate is None
    ):
        assert verdict is Verdict.NO_DATA  # no data is never a pass
        return
    judged = (
        previous
        if previous and (previous.distinct_users or 0) >= rules.min_distinct_users
        else None
    )

    def healthy(rate: float, before: float | None, ceiling: float) -> bool:
        if rate > ceiling:
            return False
        if before is None:
            return True
        return (
            rate <= before * rules.max_regression_factor
            or rate <= before + rules.regression_min_delta
        )

    ok = healthy(
        current.user_perceived_crash_rate,
        judged.user_perceived_crash_rate if judged else None,
        rules.max_user_perceived_crash_rate,
    ) and healthy(
        current.user_perceived_anr_rate,
        judged.user_perceived_anr_rate if judged else None,
        rules.max_user_perceived_anr_rate,
    )
    assert verdict is (Verdict.PASS if ok else Verdict.FAIL), why
