"""`make bench` detection: how long from a health problem to the safety action, through the real
stack `make run` starts (a `prefect server start`, the deployments, a process worker, the
sandbox), nobody driving.

- detect_to_halt_s: an Android rollout soaking at 5 % (each vitals check its own continuation,
  as in production, where the check interval is an hour); its crash rate jumps at a random moment
  of the check interval; measured until Play shows the release halted. Goal: within one check
  interval + 2 s (`detect_to_halt_intervals` gives it as a multiple of the interval).
- detect_to_rollback_s: a Workers release in its post-deploy watch (in-process checks); the new
  version's error rate jumps; measured until the previous version serves again.

Durations are the bench policy's (below), shrunk like the sandbox profile: the measured times
are the orchestration's, not the procedure's hours.

  .venv/bin/python -m bench.detect
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parent.parent
VITALS_CHECK_S = 10.0  # the rollout's check interval (production: 1 h)
WATCH_CHECK_S = 2.0  # the Workers watch's check interval (production: 1 min)
ERROR_WINDOW_S = 2.0
ANDROID_TRIALS = 3  # apps rolled out at once, each with its spike at its own moment
HEALTHY = {"user_perceived_crash_rate": 0.003, "distinct_users": 4000}
SPIKE = {"user_perceived_crash_rate": 0.025, "distinct_users": 4000}
GOALS = {
    "detect_to_halt_s": f"≤ {VITALS_CHECK_S + 2:g} (check interval {VITALS_CHECK_S:g} s + 2)",
    "detect_to_halt_intervals": "≤ 1.2",
    "detect_to_rollback_s": f"≤ {WATCH_CHECK_S + ERROR_WINDOW_S + 2:g} (check + window + 2)",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_policy(tmp: Path, apps: list[str]) -> Path:
    """The shipped policy's sandbox profile with the bench's intervals: a stage soaks long enough
    to be caught mid-stage, and every vitals check is its own continuation (no inline waits)."""
    doc = yaml.safe_load((ROOT / "policy" / "release-policy.yaml").read_text())
    profile = doc["profiles"]["sandbox"]
    profile["monitor"] = {
        "standard": "60s",
        "significant": "60s",
        "check_interval": f"{WATCH_CHECK_S:g}s",
        "analytics_lag": "0s",
        "baseline_window": "30s",
        "error_rate_window": f"{ERROR_WINDOW_S:g}s",
    }
    profile["continuations"] = {"wait_inline_under": "0s"}
    wallet = profile["android_apps"]["wallet"]
    wallet["stage_soak"] = "10m"
    wallet["vitals"] = {
        **wallet["vitals"],
        "check_interval": f"{VITALS_CHECK_S:g}s",
        "recheck_after": f"{VITALS_CHECK_S:g}s",
    }
    base = doc["android_apps"]["wallet"]
    for i, name in enumerate(apps):
        if name != "wallet":
            doc["android_apps"][name] = {**base, "package_name": f"app.bench.detect{i}"}
            profile["android_apps"][name] = {**wallet, "builds_dir": str(tmp / name)}
            (tmp / name).mkdir(exist_ok=True)
    path = tmp / "detect-policy.yaml"
    path.write_text(json.dumps(doc, default=str))  # JSON is YAML, and has no anchors
    return path


def _wait(what: str, done: Callable[[], Any], timeout: float, poll: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = done()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench: {what} not seen within {timeout:g} s")
        time.sleep(poll)


def _production(control: Any, package: str, code: int) -> dict[str, Any] | None:
    track = control.play_state(package)["tracks"]["production"]
    return next((r for r in track["releases"] if code in r["versionCodes"]), None)


def measure_halts(stack: Any, api: Any, apps: list[str], rng: random.Random) -> list[float]:
    """Each app rolled out to 5 %; after its first vitals checks, its crash rate jumps at a
    random moment; seconds until Play shows the release halted."""
    from tasks.settings import current_policy

    policy, control = current_policy(), stack.control
    deployment = api.deployment_id("android-release", "standard")
    code = 101
    packages = {name: policy.android_app(name).package_name for name in apps}
    for name, package in packages.items():
        control.play_upload_internal(package, code, token=control.play_issue_token())
        control.play_set_vitals(package, code, **HEALTHY)
        api.create_flow_run(deployment, {"app": name, "version_code": code, "significant": False})
    for package in packages.values():
        _wait(
            f"{package} at 5 %",
            lambda p=package: (_production(control, p, code) or {}).get("userFraction") == 0.05,
            180,
        )
    time.sleep(VITALS_CHECK_S)  # the stage's first check has passed: it is mid-stage now
    spikes: dict[str, float] = {}
    pending = sorted(packages.values(), key=lambda _: rng.random())
    offsets = {p: rng.uniform(0, VITALS_CHECK_S) for p in pending}
    started = time.monotonic()
    halted: dict[str, float] = {}
    while len(halted) < len(pending):
        now = time.monotonic()
        for package in pending:
            if package not in spikes and now - started >= offsets[package]:
                control.play_set_vitals(package, code, **SPIKE)
                spikes[package] = time.monotonic()
            if package in spikes and package not in halted:
                release = _production(control, package, code) or {}
                if release.get("status") == "halted":
                    halted[package] = time.monotonic() - spikes[package]
        if time.monotonic() - started > VITALS_CHECK_S * 6 + 60:
            raise RuntimeError(f"bench: not halted: {sorted(set(pending) - set(halted))}")
        time.sleep(0.05)
    return [halted[p] for p in pending]


def measure_rollback(stack: Any, api: Any, rng: random.Random) -> float:
    """A Workers release in its watch; the new version's error rate jumps; seconds until the
    previous version serves production again."""
    from scripts.localstack import prepare_release
    from tasks.settings import current_policy

    policy, control = current_policy(), stack.control
    service = "edge-router"  # no key flow: the spike is seen by the error-rate analytics alone
    svc = policy.service(service)
    for env in svc.environments.values():
        control.worker_traffic(env.script, 1_000_000.0)
    token = stack.env["CLOUDFLARE_API_TOKEN"]
    release = prepare_release(control, policy, service, cloudflare_token=token)
    new = release.parameters["version_ids"]["production"]
    previous = release.previous_versions["production"]
    script = svc.environments["production"].script
    api.create_flow_run(api.deployment_id("workers-deploy", "standard"), release.parameters)

    def live() -> str:
        deployments = control.cf_deployments(svc.account_id, script)
        return str(deployments[0]["versions"][0]["version_id"]) if deployments else ""

    _wait("the production deploy", lambda: live() == new, 240)
    time.sleep(WATCH_CHECK_S * 2 + rng.uniform(0, WATCH_CHECK_S))  # mid-watch, at a random moment
    control.worker_behaviour(script, new, error_rate=0.3)
    spike = time.monotonic()
    _wait("the rollback", lambda: live() == previous, 120)
    return time.monotonic() - spike


def measure(seed: int | None = None) -> dict[str, Any]:
    from relctl.trigger import PrefectApi
    from scripts.stack import running_stack

    seed = (
        seed
        if seed is not None
        else int(os.environ.get("BENCH_SEED", "0")) or random.randrange(10**6)
    )
    rng = random.Random(seed)
    apps = ["wallet"] + [f"detect{i}" for i in range(1, ANDROID_TRIALS)]
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RELORCH_POLICY"] = str(bench_policy(Path(tmp), apps))
        os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
        try:
            with running_stack(
                port=_free_port(), sandbox_port=_free_port(), quiet=True, home=Path(tmp) / "home"
            ) as stack:
                api = PrefectApi(stack.api_url)
                halts = measure_halts(stack, api, apps, rng)
                rollback = measure_rollback(stack, api, rng)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    worst = max(halts)
    return {
        "detect_to_halt_s": round(worst, 2),
        "detect_to_halt_median_s": round(statistics.median(halts), 2),
        "detect_to_halt_intervals": round(worst / VITALS_CHECK_S, 2),
        "detect_check_interval_s": VITALS_CHECK_S,
        "detect_to_rollback_s": round(rollback, 2),
        "detect_seed": seed,
    }


if __name__ == "__main__":
    result = measure(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(json.dumps(result, indent=2))
