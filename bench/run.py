"""`make bench`: the Workers pipeline on a real Prefect server against a zero-latency sandbox,
side by side with the same provider calls made with httpx alone, in one run on one machine.

Writes bench/results/latest.json and prints a table, each key with its goal beside it:
workers_pipeline_s, bare_httpx_s and their ratio; the stage slack of continuations through a
real worker (bench/slack.py); one advance-rollouts tick over 1,000 rollouts, at 0 and 50 ms
provider latency (bench/reconcile.py); detection to halt and to rollback through the real stack
(bench/detect.py). BENCH_RECONCILE=0 / BENCH_DETECT=0 leave a part out.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import resource
import statistics
import sys
import time
from pathlib import Path

import yaml

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GH, CF = "bench-github-token", "bench-cloudflare-token"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def bench_policy(tmp: Path) -> Path:
    """The sandbox profile with a monitor window of 0: one verification round per release."""
    doc = yaml.safe_load((ROOT / "policy" / "release-policy.yaml").read_text())
    doc["profiles"]["sandbox"]["monitor"] = {
        "standard": "0s",
        "significant": "0s",
        "check_interval": "1s",
        "analytics_lag": "0s",
        "baseline_window": "30s",
    }
    doc["profiles"]["sandbox"]["services"]["verifier"]["error_rate"] = {"min_requests": 1}
    path = tmp / "bench-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def main() -> int:
    from prefect.testing.utilities import prefect_test_harness

    from bench.bare_calls import release as bare_release
    from sandbox.control import SandboxControl
    from sandbox.server import start_sandbox
    from scripts.localstack import prepare_release, seed_document

    RESULTS.mkdir(parents=True, exist_ok=True)
    with (
        prefect_test_harness(server_startup_timeout=120),
        start_sandbox(tokens={"github": GH, "cloudflare": CF}) as sb,
    ):
        os.environ.update(
            {
                "RELORCH_POLICY": str(bench_policy(RESULTS)),
                "RELORCH_PROFILE": "sandbox",
                "RELORCH_SANDBOX_URL": sb.url,
                "RELORCH_GITHUB_API_URL": f"{sb.url}/github",
                "RELORCH_CLOUDFLARE_API_URL": f"{sb.url}/cloudflare/client/v4",
                "GITHUB_TOKEN": GH,
                "CLOUDFLARE_API_TOKEN": CF,
                "PAGERDUTY_API_TOKEN": "bench-pd",
            }
        )
        from flows.workers_deploy import workers_deploy
        from tasks.limits import ensure_limits
        from tasks.settings import current_policy

        policy = current_policy()
        svc = policy.service("verifier")
        scripts = {env: e.script for env, e in svc.environments.items()}
        control = SandboxControl(sb.url)

        def fresh() -> dict:
            control.reset()
            control.seed({**seed_document(policy), "tokens": {"github": GH, "cloudflare": CF}})
            for script in scripts.values():
                control.worker_traffic(script, 1_000_000.0)
            return prepare_release(control, policy, "verifier", cloudflare_token=CF).parameters

        asyncio.run(ensure_limits(policy))
        pipeline, bare = [], []
        fresh()  # warm both paths once
        for i in range(ROUNDS + 1):
            params = fresh()
            before = len(control.requests())  # CI's uploads are not the pipeline's calls
            t0 = time.perf_counter()
            state = asyncio.run(workers_deploy(**params, return_state=True))
            elapsed = time.perf_counter() - t0
            if not state.is_completed():
                print(f"pipeline run failed: {state.message}", file=sys.stderr)
                return 1
            calls = len(control.requests()) - before
            params = fresh()
            t0 = time.perf_counter()
            bare_release(sb.url, GH, CF, params, svc.repo, svc.account_id, scripts)
            bare_elapsed = time.perf_counter() - t0
            if i:  # the first round warms imports and the server
                pipeline.append(elapsed)
                bare.append(bare_elapsed)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        from bench.slack import measure as measure_slack  # continuations through a real worker

        slack = measure_slack()
    result = {
        "workers_pipeline_s": round(statistics.median(pipeline), 4),
        "bare_httpx_s": round(statistics.median(bare), 4),
        "workers_overhead_ratio": round(statistics.median(pipeline) / statistics.median(bare), 1),
        "pipeline_runs_s": [round(x, 4) for x in pipeline],
        "bare_runs_s": [round(x, 4) for x in bare],
        "provider_calls_per_pipeline_run": calls,
        "process_peak_rss_mb": round(rss_mb, 1),
        "rounds": ROUNDS,
        **slack,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    if os.environ.get("BENCH_RECONCILE", "1") != "0":  # its own server and sandbox: a clean slate
        from bench.reconcile import measure

        result.update(measure(int(os.environ.get("BENCH_RECONCILE_N", "1000"))))
        result.update(measure(int(os.environ.get("BENCH_RECONCILE_N", "1000")), latency_ms=50))
    if os.environ.get("BENCH_DETECT", "1") != "0":  # the real stack: `prefect server start`
        from bench.detect import measure as measure_detection

        result.update(measure_detection())
    result["goals"] = {key: goal for key, goal in goals().items() if key in result}
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(table(result))
    return 0


def goals() -> dict[str, str]:
    """Each measured key's goal (issue 12), in the order the table shows them."""
    from bench.detect import GOALS as DETECT
    from bench.slack import GOALS as SLACK

    return {
        "workers_pipeline_s": "(side by side with bare httpx)",
        "bare_httpx_s": "(the same provider calls, no Prefect)",
        "workers_overhead_ratio": "(pipeline / bare)",
        **SLACK,
        **DETECT,
        "reconcile_1000_s": "≤ 10",
        "calls_per_rollout": "≤ 1",
        "reconcile_rss_mb": "≤ 300 (growth over the tick)",
        "reconcile_process_rss_mb": "≤ 300",
        "reconcile_1000_s_50ms": "≤ 10 (50 ms provider latency)",
        "calls_per_rollout_50ms": "≤ 1",
        "reconcile_rss_mb_50ms": "≤ 300",
    }


def met(value: object, goal: str) -> str:
    """ "met" / "MISSED" for a goal of the form "≤ N" or "N"; "" when the goal is not a bound."""
    match = re.match(r"^(≤ )?(-?[\d.]+)(\s|$)", goal)
    if not match or not isinstance(value, int | float):
        return ""
    bound = float(match.group(2))
    ok = value <= bound if match.group(1) else value == bound
    return "met" if ok else "MISSED"


def table(result: dict[str, object]) -> str:
    """Every key with a goal: value, goal, and whether it is met, in one run's numbers."""
    rows = [f"{'metric':<30}{'value':>10}  {'':<6}  goal"]
    for key, goal in goals().items():
        if key in result:
            value = result[key]
            rows.append(f"{key:<30}{value!s:>10}  {met(value, goal):<6}  {goal}")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
