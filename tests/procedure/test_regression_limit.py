"""One regression ceiling for the Workers error rate and the Android crash and ANR rates
(procedure.health.regression_limit), checked against the rule as the policy writes it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.android import VitalsSample, vitals_verdict
from procedure.health import Totals, Verdict, error_rate_verdict, regression_limit
from procedure.policy import AndroidApp, ErrorRateRule, VitalsRules

RATES = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)
FACTORS = st.floats(min_value=1.0, max_value=5.0, allow_nan=False)
DELTAS = st.floats(min_value=0.0, max_value=0.05, allow_nan=False)


def healthy(rate: float, ceiling: float, before: float | None, factor: float, delta: float) -> bool:
    """The policy's words: under the absolute ceiling, and — against the previous version — at
    most `factor` times its rate, or within `delta` points of it."""
    return rate <= ceiling and (before is None or rate <= before * factor or rate <= before + delta)


@settings(max_examples=500, deadline=None, database=None)
@given(rate=RATES, ceiling=RATES, before=st.one_of(st.none(), RATES), factor=FACTORS, delta=DELTAS)
def test_the_limit_is_the_rule(
    rate: float, ceiling: float, before: float | None, factor: float, delta: float
) -> None:
    limit = regression_limit(ceiling, before, factor=factor, min_delta=delta)
    assert (rate <= limit) == healthy(rate, ceiling, before, factor, delta)


def test_a_previous_rate_of_zero_still_bounds_the_next_one() -> None:
    # 0 % before: a new version may add `min_delta` points, not jump to the absolute ceiling.
    assert regression_limit(0.05, 0.0, factor=2.0, min_delta=0.01) == 0.01
    assert regression_limit(0.05, None, factor=2.0, min_delta=0.01) == 0.05


@settings(max_examples=300, deadline=None, database=None)
@given(
    errors=st.integers(min_value=0, max_value=2000),
    base_errors=st.integers(min_value=0, max_value=2000),
    factor=FACTORS,
    delta=DELTAS,
)
def test_workers_and_android_judge_the_same_numbers_alike(
    errors: int, base_errors: int, factor: float, delta: float
) -> None:
    """The same rates, ceiling, factor and delta: a Workers spike exactly when an Android crash
    regression (the ANR rate kept far below its line, so only the crash rate decides)."""
    requests = users = 10_000
    current, baseline = Totals(requests, errors), Totals(requests, base_errors)
    rule = ErrorRateRule(
        max_error_rate=0.1, spike_factor=factor, spike_min_delta=delta, min_requests=50
    )
    app = AndroidApp(
        package_name="app.example.wallet",
        vitals=VitalsRules(
            max_user_perceived_crash_rate=0.1,
            max_user_perceived_anr_rate=1.0,
            max_regression_factor=factor,
            regression_min_delta=delta,
            min_distinct_users=50,
        ),
    )
    workers = error_rate_verdict(current, baseline, rule).verdict
    android, _ = vitals_verdict(
        VitalsSample(current.rate, 0.0, users), VitalsSample(baseline.rate, 0.0, users), app
    )
    assert workers is android
    assert (workers is Verdict.FAIL) == (
        not healthy(errors / requests, 0.1, base_errors / requests, factor, delta)
    )


def test_a_previous_release_with_too_few_users_is_no_baseline() -> None:
    # As for the Workers baseline (fewer requests than min_requests): no comparison at all.
    app = AndroidApp(package_name="app.example.wallet")
    few = VitalsSample(0.0001, 0.0001, app.vitals.min_distinct_users - 1)
    verdict, why = vitals_verdict(VitalsSample(0.005, 0.001, 5000), few, app)
    assert verdict is Verdict.PASS and "limit 1.09%" in why
    enough = VitalsSample(0.0001, 0.0001, app.vitals.min_distinct_users)
    assert vitals_verdict(VitalsSample(0.005, 0.001, 5000), enough, app)[0] is Verdict.FAIL
