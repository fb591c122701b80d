"""Fault injection: rules that make provider calls fail, slow down or lose their answer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

TARGETS = (
    "github",
    "cloudflare",
    "worker",
    "pagerduty",
    "statuspage",
    "googleplay",  # androidpublisher, its uploads and Play Developer Reporting
    "google-oauth",  # the token endpoint
    "app-store-connect",
    "sentry",  # release-health sessions
    "*",
)
KINDS = ("status", "rate_limit", "slow", "timeout", "drop_after_commit", "echo_credentials")
# How an `echo_credentials` fault shapes its answer: the provider's own error shape (a message
# quoting what the caller sent), or an HTML page as a proxy or a debug page returns it.
ECHO_BODIES = ("provider", "html")


class FaultSpecError(ValueError):
    """An admin request described a fault the sandbox cannot apply."""


@dataclass
class Fault:
    id: str
    target: str
    kind: str
    status: int = 503
    retry_after: int = 1
    delay_s: float = 0.5
    probability: float = 1.0
    count: int | None = None
    method: str | None = None
    path_contains: str | None = None
    seed: int | None = None
    echo_body: str = "provider"
    pad: int = 0  # echo_credentials: characters of filler before the echoed values
    fired: int = 0
    # One generator per fault so a seeded fault fires the same way whatever else runs.
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def terminal(self) -> bool:
        """Whether the fault decides the answer (everything but `slow`)."""
        return self.kind != "slow"

    def matches(self, target: str, method: str, path: str) -> bool:
        if self.target not in ("*", target):
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path_contains and self.path_contains not in path:
            return False
        return self.count is None or self.fired < self.count

    def roll(self) -> bool:
        """Decide whether the fault fires on this request, counting it if it does."""
        if self.probability < 1.0 and self.rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "kind": self.kind,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_s": self.delay_s,
            "probability": self.probability,
            "count": self.count,
            "method": self.method,
            "path_contains": self.path_contains,
            "seed": self.seed,
            "echo_body": self.echo_body,
            "pad": self.pad,
            "fired": self.fired,
        }


@dataclass
class FaultDecision:
    """What the faults say about one request: how long to stall, and which fault (if any) ends it."""

    delay_s: float = 0.0
    terminal: Fault | None = None
    applied: list[Fault] = field(default_factory=list)


def _number(doc: dict[str, Any], key: str, default: float) -> float:
    value = doc.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultSpecError(f"{key} must be a number")
    return float(value)


class FaultStore:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next = 1

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> list[Fault]:
        return list(self._faults)

    def add(self, doc: dict[str, Any]) -> Fault:
        target = doc.get("target", "*")
        kind = doc.get("kind")
        if target not in TARGETS:
            raise FaultSpecError(f"target must be one of {', '.join(TARGETS)}")
        if kind not in KINDS:
            raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
        default_status = {"status": 503, "timeout": 504, "echo_credentials": 401}.get(
            str(kind), 502
        )
        status = int(_number(doc, "status", default_status))
        if kind in ("status", "timeout", "echo_credentials") and not 400 <= status <= 599:
            raise FaultSpecError("status must be an HTTP error status (4xx/5xx)")
        probability = _number(doc, "probability", 1.0)
        if not 0.0 <= probability <= 1.0:
            raise FaultSpecError("probability must be within [0, 1]")
        count = doc.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise FaultSpecError("count must be a non-negative integer or null")
        seed = doc.get("seed")
        if seed is not None and not isinstance(seed, int):
            raise FaultSpecError("seed must be an integer or null")
        echo_body = doc.get("echo_body") or "provider"
        if echo_body not in ECHO_BODIES:
            raise FaultSpecError(f"echo_body must be one of {', '.join(ECHO_BODIES)}")
        pad = doc.get("pad", 0)
        if not isinstance(pad, int) or isinstance(pad, bool) or not 0 <= pad <= 100_000:
            raise FaultSpecError("pad must be an integer within [0, 100000]")
        fault = Fault(
            id=f"fault-{self._next}",
            target=target,
            kind=kind,
            status=status,
            retry_after=int(_number(doc, "retry_after", 1)),
            # a hung provider: held until the client's own timeout, a gateway's 504 after 30 s
            delay_s=_number(doc, "delay_s", 30.0 if kind == "timeout" else 0.5),
            probability=probability,
            count=count,
            method=doc.get("method") or None,
            path_contains=doc.get("path_contains") or None,
            seed=seed,
            echo_body=echo_body,
            pad=pad,
            rng=random.Random(seed),
        )
        self._next += 1
        self._faults.append(fault)
        return fault

    def decide(self, target: str, method: str, path: str) -> FaultDecision:
        """Roll every matching fault in insertion order.

        `slow` faults add up; the first terminal fault that fires decides the answer and stops
        the evaluation, so later faults are neither rolled nor counted.
        """
        decision = FaultDecision()
        for fault in self._faults:
            if not fault.matches(target, method, path) or not fault.roll():
                continue
            decision.applied.append(fault)
            if fault.terminal:
                decision.terminal = fault
                break
            decision.delay_s += fault.delay_s
        return decision
