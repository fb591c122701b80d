from __future__ import annotations

from procedure.health import ProbeOutcome, Totals, Verdict, decide_round, error_rate_verdict
from procedure.policy import ErrorRateRule, MonitorRules

RULE = ErrorRateRule(max_error_rate=0.05, spike_factor=2.0, spike_min_delta=0.01, min_requests=50)


def test_too_few_requests_is_no_data_never_pass() -> None:
    assert error_rate_verdict(Totals(49, 0), None, RULE).verdict is Verdict.NO_DATA
    assert error_rate_verdict(Totals(0, 0), Totals(1000, 0), RULE).verdict is Verdict.NO_DATA


def test_absolute_ceiling_without_baseline() -> None:
    assert error_rate_verdict(Totals(100, 5), None, RULE).verdict is Verdict.PASS
    assert error_rate_verdict(Totals(100, 6), None, RULE).verdict is Verdict.FAIL


def test_spike_relative_to_baseline_with_delta_floor() -> None:
    baseline = Totals(1000, 20)  # 2 %
    assert error_rate_verdict(Totals(1000, 39), baseline, RULE).verdict is Verdict.PASS
    assert error_rate_verdict(Totals(1000, 41), baseline, RULE).verdict is Verdict.FAIL
    quiet = Totals(1000, 1)  # 0.1 %: doubling is below the 1-point floor
    assert error_rate_verdict(Totals(1000, 5), quiet, RULE).verdict is Verdict.PASS
    assert error_rate_verdict(Totals(1000, 12), quiet, RULE).verdict is Verdict.FAIL


def test_round_decisions() -> None:
    rules = MonitorRules()
    ok = ProbeOutcome("health", Verdict.PASS, "200")
    none = ProbeOutcome("error-rate", Verdict.NO_DATA, "3 requests")
    bad = ProbeOutcome("key-flow", Verdict.FAIL, "proof failed")
    assert decide_round([ok, none], window_over=False, rules=rules).action == "continue"
    assert decide_round([ok, bad], window_over=False, rules=rules).action == "rollback"
    final = decide_round([ok, none], window_over=True, rules=rules)
    assert final.verdict is Verdict.NO_DATA and final.action == "rollback"
    assert (
        decide_round([ok, none], window_over=True, rules=MonitorRules(on_no_data="fail")).action
        == "fail"
    )
    assert decide_round([ok], window_over=True, rules=rules).action == "promote"


def test_a_spike_late_in_the_watch_fails_on_the_sliding_window_though_diluted_overall() -> None:
    from procedure.health import sliding_error_rate_verdict

    quiet = Totals(10_000, 10)  # 0.1 % before the deploy: threshold max(0.2 %, 1.1 %) = 1.1 %
    since_deploy = Totals(20_000, 120)  # 0.6 % overall: 19 clean minutes dilute the spike
    last_minute = Totals(1_000, 100)  # 10 % in the last minute
    assert error_rate_verdict(since_deploy, quiet, RULE).verdict is Verdict.PASS
    check = sliding_error_rate_verdict(since_deploy, last_minute, quiet, RULE, "1 min")
    assert check.verdict is Verdict.FAIL and check.detail.startswith("in the last 1 min")


def test_a_quiet_window_is_not_a_failure_and_the_overall_rate_still_counts() -> None:
    from procedure.health import sliding_error_rate_verdict

    few = Totals(10, 0)  # fewer than min_requests in the window
    assert (
        sliding_error_rate_verdict(Totals(1_000, 0), few, None, RULE, "1 min").verdict
        is Verdict.PASS
    )
    assert (
        sliding_error_rate_verdict(Totals(1_000, 60), few, None, RULE, "1 min").verdict
        is Verdict.FAIL
    )
    assert (
        sliding_error_rate_verdict(Totals(10, 0), few, None, RULE, "1 min").verdict
        is Verdict.NO_DATA
    )
    passed = sliding_error_rate_verdict(Totals(1_000, 0), Totals(100, 0), None, RULE, "1 min")
    assert passed.verdict is Verdict.PASS and "last 1 min" in passed.detail
