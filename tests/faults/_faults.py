"""Seeded provider faults for the fault suite (issue 12): about `RATE` of the answers of every
provider the orchestrator calls become a 5xx, a 429 with Retry-After, a timeout (the provider
hangs past the client's timeout) or a dropped connection after the provider applied the write.

Each test runs under a seed (in its id: `[seed=N]`); `RELORCH_FAULT_SEED=N` runs that seed only,
so a failure replays. The Worker's own endpoints (`worker`) are not a provider: what they answer
is the health the release is judged by, so a fault there is a failing release, not a flaky API.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.control import SandboxControl

RATE = 0.2
PROVIDERS = (
    "github",
    "cloudflare",
    "pagerduty",
    "statuspage",
    "googleplay",
    "google-oauth",
    "app-store-connect",
    "sentry",
)
DEFAULT_SEEDS = (1, 2)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
WRITE_DROP = 0.25
CLIENT_TIMEOUT_S = 0.5  # each attempt's timeout in the suite (the clients' own: 10-30 s)
RETRY_SLEEP_CAP_S = 0.05  # the most a retry loop really waits in the suite
HANG_S = 3.0  # a hung provider holds the request this long: past every client's timeout
KINDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("status", {"status": 503}),
    ("rate_limit", {"retry_after": 1}),
    ("timeout", {"delay_s": HANG_S}),
    ("drop_after_commit", {}),
)


def seeds() -> list[Any]:
    chosen = os.environ.get("RELORCH_FAULT_SEED")
    values = (int(chosen),) if chosen else DEFAULT_SEEDS
    return [pytest.param(s, id=f"seed={s}") for s in values]


@pytest.fixture(params=seeds())
def fault_seed(request: pytest.FixtureRequest) -> Iterator[int]:
    seed: int = request.param
    print(f"\nfault seed {seed} (replay: RELORCH_FAULT_SEED={seed})")
    yield seed


async def _short_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, RETRY_SLEEP_CAP_S))


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client's per-attempt timeout cut to CLIENT_TIMEOUT_S, so a hung provider costs half
    a second, not 10-30 (Play's bundle upload keeps its own, at least 120 s: a hung upload gets
    the gateway's 504 after HANG_S); and the retry loops' waits (Retry-After, the backoff)
    capped at RETRY_SLEEP_CAP_S of real time — the schedule and the attempts are the clients'
    own, only the waiting is shortened (tests/clients holds the waits to Retry-After)."""
    from clients import AppStoreConnectClient
    from clients._base import BaseClient
    from clients._google import GoogleApiClient
    from tasks import providers

    for cls in (BaseClient, GoogleApiClient, AppStoreConnectClient):
        monkeypatch.setattr(cls, "default_timeout", CLIENT_TIMEOUT_S)
    pending: list[type[BaseClient]] = [BaseClient]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if "default_retry" in vars(cls):
            fast = replace(cls.default_retry, sleep=_short_sleep)
            monkeypatch.setattr(cls, "default_retry", fast)
    monkeypatch.setattr(providers, "PATIENT", replace(providers.PATIENT, sleep=_short_sleep))
    # and the emergency flow's pause between two runs of wrangler
    monkeypatch.setattr("flows.emergency_deploy.WRANGLER_PAUSE_S", (0.1, 0.4))


def install(
    control: SandboxControl, seed: int, *, rate: float = RATE, targets: Iterable[str] = PROVIDERS
) -> None:
    """Faults on every target: first, a `WRITE_DROP` chance that a write's answer is lost after
    it took effect (the fault that can double a change: writes are a few in a hundred calls, so
    the uniform mix alone would seldom hit one); then one fault per kind, each firing with the
    same probability, so that about `rate` of all answers are faulted (the first that fires
    decides)."""
    each = 1 - (1 - rate) ** (1 / len(KINDS))
    for t, target in enumerate(targets):
        base = seed * 1000 + t * 20
        for m, method in enumerate(WRITES):
            control.add_fault(
                target, "drop_after_commit", method=method, probability=WRITE_DROP, seed=base + m
            )
        for k, (kind, options) in enumerate(KINDS):
            control.add_fault(target, kind, probability=each, seed=base + 10 + k, **options)


def lost_writes(control: SandboxControl) -> int:
    """Writes the providers applied whose answer was then dropped."""
    return sum(
        1
        for r in control.requests()
        if r["method"] in WRITES and (r["fault"] or {}).get("kind") == "drop_after_commit"
    )


def fired(control: SandboxControl) -> Counter[str]:
    """How often each kind of fault fired, over every target."""
    counts: Counter[str] = Counter()
    for fault in control.faults():
        counts[fault["kind"]] += fault["fired"]
    return counts


def report(control: SandboxControl, seed: int) -> Counter[str]:
    """Print (and return) what fired, with the seed, and check the faults were really felt."""
    counts = fired(control)
    calls = len(control.requests())
    lost = lost_writes(control)
    print(
        f"fault seed {seed}: {calls} provider requests, faults fired {dict(counts)}, "
        f"{lost} write(s) applied with the answer lost"
    )
    assert sum(counts.values()) >= 3, f"too few faults fired to test anything: {dict(counts)}"
    return counts


def applied(control: SandboxControl, target: str, method: str, path_part: str) -> list[Any]:
    """Requests the provider applied: answered 2xx, or processed with the answer then dropped."""
    return [
        r
        for r in control.requests(target)
        if r["method"] == method
        and path_part in r["path"]
        and (r["status"] < 300 or (r["fault"] or {}).get("kind") == "drop_after_commit")
    ]


def policy_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **sandbox_profile: Any) -> None:
    """The test's policy file with these sections of the sandbox profile replaced."""
    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["profiles"]["sandbox"].update(sandbox_profile)
    path = tmp_path / "release-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(path))
