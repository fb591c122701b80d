"""Post-deploy verification verdicts. Three outcomes: pass, fail, no data — no data is never a pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from procedure.policy import ErrorRateRule, MonitorRules


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NO_DATA = "no data"


@dataclass(frozen=True)
class Totals:
    requests: int
    errors: int

    @property
    def rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True)
class ErrorRateCheck:
    verdict: Verdict
    current: Totals
    baseline: Totals | None
    threshold: float | None
    detail: str


def regression_limit(
    ceiling: float, before: float | None, *, factor: float, min_delta: float
) -> float:
    """The highest rate that is still healthy: never above the absolute `ceiling`, and against
    a known earlier rate (the previous version's) at most `factor` times it — but never below
    `min_delta` points above it, so 0.1 % → 0.3 % on a quiet service is not a regression.
    One rule for the Workers error rate and the Android crash and ANR rates."""
    if before is None:
        return ceiling
    return min(ceiling, max(before * factor, before + min_delta))


def error_rate_verdict(
    current: Totals, baseline: Totals | None, rule: ErrorRateRule
) -> ErrorRateCheck:
    """Compare the post-deploy error rate with the absolute ceiling and the pre-deploy baseline."""
    if current.requests < rule.min_requests:
        return ErrorRateCheck(
            Verdict.NO_DATA,
            current,
            baseline,
            None,
            f"{current.requests} requests since deploy, fewer than the {rule.min_requests} needed",
        )
    rate = current.rate or 0.0
    # A spike is relative to what the previous version did (when it had enough requests to say).
    base_rate = baseline.rate if baseline and baseline.requests >= rule.min_requests else None
    threshold = regression_limit(
        rule.max_error_rate, base_rate, factor=rule.spike_factor, min_delta=rule.spike_min_delta
    )
    shown_base = f"{base_rate:.2%}" if base_rate is not None else "no baseline"
    if rate > threshold:
        return ErrorRateCheck(
            Verdict.FAIL,
            current,
            baseline,
            threshold,
            f"error rate {rate:.2%} over {current.requests} requests exceeds {threshold:.2%}"
            f" (baseline {shown_base})",
        )
    return ErrorRateCheck(
        Verdict.PASS,
        current,
        baseline,
        threshold,
        f"error rate {rate:.2%} over {current.requests} requests within {threshold:.2%}"
        f" (baseline {shown_base})",
    )


def sliding_error_rate_verdict(
    since_deploy: Totals,
    recent: Totals,
    baseline: Totals | None,
    rule: ErrorRateRule,
    window: str,
) -> ErrorRateCheck:
    """The watch judges both the rate since the deploy and the rate of the last `window`: 20
    clean minutes dilute a spike at minute 20 below any threshold in the cumulative rate, so the
    recent window is what catches it at the next check. Too few recent requests is not a failure
    (a quiet service); whether there is enough data overall is the cumulative verdict's call."""
    overall = error_rate_verdict(since_deploy, baseline, rule)
    latest = error_rate_verdict(recent, baseline, rule)
    if latest.verdict is Verdict.FAIL:
        return ErrorRateCheck(
            Verdict.FAIL,
            recent,
            baseline,
            latest.threshold,
            f"in the last {window}: {latest.detail}",
        )
    if overall.verdict is Verdict.FAIL or latest.verdict is Verdict.NO_DATA:
        return overall
    shown = f"{latest.current.rate or 0.0:.2%} over {recent.requests} requests"
    return ErrorRateCheck(
        overall.verdict,
        since_deploy,
        baseline,
        overall.threshold,
        f"{overall.detail}; last {window}: {shown}",
    )


@dataclass(frozen=True)
class ProbeOutcome:
    """One check of one signal in one monitoring round."""

    signal: Literal["health", "error-rate", "key-flow"]
    verdict: Verdict
    detail: str


@dataclass(frozen=True)
class MonitorDecision:
    verdict: Verdict
    action: Literal["continue", "promote", "rollback", "fail"]
    reason: str


def decide_round(
    outcomes: Sequence[ProbeOutcome], *, window_over: bool, rules: MonitorRules
) -> MonitorDecision:
    """After each round: any failure ends the watch with a rollback; at the end of the window the
    error rate must have passed — no data by then takes the policy's no-data action."""
    failed = [o for o in outcomes if o.verdict is Verdict.FAIL]
    if failed:
        reason = "; ".join(f"{o.signal}: {o.detail}" for o in failed)
        return MonitorDecision(Verdict.FAIL, "rollback", reason)
    if not window_over:
        return MonitorDecision(Verdict.PASS, "continue", "watching")
    no_data = [o for o in outcomes if o.verdict is Verdict.NO_DATA]
    if no_data:
        reason = "; ".join(f"{o.signal}: {o.detail}" for o in no_data)
        return MonitorDecision(
            Verdict.NO_DATA,
            rules.on_no_data,
            f"window over without enough data — not a pass ({reason})",
        )
    return MonitorDecision(Verdict.PASS, "promote", "every signal passed for the whole window")
