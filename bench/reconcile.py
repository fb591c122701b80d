"""One `advance-rollouts` tick over N rollouts in flight, none due: seconds, provider calls per
rollout and the process's RSS growth, on a real Prefect server (prefect_test_harness) against the
in-process sandbox.

The world: N apps generated into a temp policy file, about half Android and half iOS. Each Android
app has 1 (live, completed) and 2 (inProgress at 5 %) on production, and a stored timeline that
says the 5 % stage went live and was health-checked just now (not due: the sandbox profile's
soak and vitals check interval are raised to 1 h). Each
iOS app has 1.0.0 replaced by 1.1.0 in its phased release (day 2, ACTIVE) with a stored timeline
that says day 2 began hours ago and health was checked just now (the health interval is 1 h and
Apple's day 24 h, on the sandbox's App Store too). Seeding writes the sandbox's state in
process: driving N real releases to 5 % would take the bench longer than the tick it measures.

  .venv/bin/python -m bench.reconcile [N] [latency_ms]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parent.parent
TOKENS = {
    "github": "bench-github-token",
    "cloudflare": "bench-cloudflare-token",
    "pagerduty": "bench-pd",  # the freeze's incident source, read before any advance
    "sentry": "bench-sentry",
}


def _rss_mb() -> float:
    """Current (not peak) resident set of this process, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def scale_policy(tmp: Path, n: int, sandbox_url: str) -> tuple[Path, list[str], list[str]]:
    """The shipped policy with `n` mobile apps (Android first half, iOS the rest), each with the
    sandbox profile's durations merged in (soak and vitals interval raised to 1 h, so nothing
    seeded at "just now" is due). Written as compact JSON (valid YAML) with no per-app profile
    entries: a thousand apps stay under the policy loader's size bound."""
    doc = yaml.safe_load((ROOT / "policy" / "release-policy.yaml").read_text())
    profile = doc["profiles"]["sandbox"]
    android_base = {**doc["android_apps"]["wallet"], **profile.pop("android_apps")["wallet"]}
    ios_base = {**doc["ios_apps"]["wallet"], **profile.pop("ios_apps")["wallet"]}
    android_base["stage_soak"] = "1h"
    android_base["vitals"] = {
        **doc["android_apps"]["wallet"]["vitals"],
        **android_base["vitals"],
        "check_interval": "1h",
    }
    ios_base["health"] = {
        **doc["ios_apps"]["wallet"]["health"],
        **ios_base["health"],
        "check_interval": "1h",
    }
    ios_base["phased_day"] = "24h"
    ios_base["checkpoint_margin"] = "3h"
    ios_base["sessions"] = {
        **doc["ios_apps"]["wallet"]["sessions"],
        **ios_base["sessions"],
        "base_url": f"{sandbox_url}/sentry",
    }
    n_android = (n + 1) // 2
    android = [f"a{i:04d}" for i in range(n_android)]
    ios = [f"i{i:04d}" for i in range(n - n_android)]
    doc["android_apps"] = {
        name: {**android_base, "package_name": f"app.bench.{name}"} for name in android
    }
    doc["ios_apps"] = {
        name: {**ios_base, "app_id": str(1_700_000_000 + i), "bundle_id": f"app.bench.{name}"}
        for i, name in enumerate(ios)
    }
    path = tmp / "scale-policy.yaml"
    path.write_text(json.dumps(doc, default=str, separators=(",", ":")))
    return path, android, ios


def _seed_android(sb: Any, package: str) -> None:
    """Production: 1 completed, 2 in progress at 5 % (what a run of ours leaves after promote)."""
    from sandbox.googleplay.admin import upsert_app
    from sandbox.googleplay.model import Bundle, Release

    upsert_app(sb.state, package, {"production_version_code": 1, "review_seconds": 1})
    with sb.state.lock:
        app = sb.state.googleplay.apps[package]
        old = app.bundles[1]
        app.bundles[2] = Bundle(
            version_code=2,
            version_name="2",
            sha1=old.sha1,
            sha256=old.sha256,
            size=old.size,
            uploaded_at=sb.state.now(),
        )
        app.approved_codes.add(2)
        production = app.tracks["production"]
        production.releases.insert(
            0,
            Release(
                id=app.new_release_id(),
                name="2",
                version_codes=[2],
                status="inProgress",
                user_fraction=0.05,
                lifecycle="PUBLISHED",
            ),
        )
        app.revision += 1


IOS_DAY_S = 86_400.0
IOS_DAY2_AGO_S = 0.2 * IOS_DAY_S  # day 2 (not a checkpoint) began hours ago


def _seed_ios(sb: Any, app_id: str) -> None:
    """1.0.0 (build 1) replaced by 1.1.0 (build 2), whose phased release is ACTIVE on day 2."""
    from sandbox.appstore.admin import live_version
    from sandbox.appstore.model import PhasedRelease, new_id

    old = live_version(sb.state, app_id, {"version": "1.0.0", "build_number": "1"})
    new = live_version(sb.state, app_id, {"version": "1.1.0", "build_number": "2"})
    with sb.state.lock:
        now = sb.state.now()
        old.state = "REPLACED_WITH_NEW_VERSION"
        phased = PhasedRelease(new_id(), new.id)
        phased.start(now - timedelta(seconds=IOS_DAY_S + IOS_DAY2_AGO_S))
        sb.state.appstore.phased[phased.id] = phased
        new.phased_id = phased.id


async def _seed_timelines(android: list[str], ios: list[str]) -> None:
    from procedure.android import Timeline
    from procedure.ios import IosTimeline
    from tasks import clock
    from tasks.timeline import save_ios_timeline, save_timeline

    now = clock.now()
    day2 = now - timedelta(seconds=IOS_DAY2_AGO_S)
    sem = asyncio.Semaphore(16)

    async def one(name: str) -> None:
        async with sem:
            await save_timeline(
                name, 2, Timeline(promoted_at=now, stage_since={"0.05": now}, vitals_checked_at=now)
            )

    async def one_ios(name: str) -> None:
        timeline = IosTimeline(
            beta_since=day2 - timedelta(days=4),
            submitted_at=day2 - timedelta(days=3),
            day_since={1: day2 - timedelta(seconds=IOS_DAY_S), 2: day2},
            passed_days=frozenset({1}),
            health_checked_at=now,
        )
        async with sem:
            await save_ios_timeline(name, "1.1.0", "2", timeline)

    await asyncio.gather(*(one(name) for name in android), *(one_ios(name) for name in ios))


def scale_env(url: str, control: Any, policy_path: Path) -> dict[str, str]:
    """The settings that point the orchestrator at the sandbox and the generated policy."""
    account = control.play_service_account()
    key = control.asc_api_key()
    return {
        "RELORCH_POLICY": str(policy_path),
        "RELORCH_PROFILE": "sandbox",
        "RELORCH_SANDBOX_URL": url,
        "RELORCH_GITHUB_API_URL": f"{url}/github",
        "RELORCH_CLOUDFLARE_API_URL": f"{url}/cloudflare/client/v4",
        "GITHUB_TOKEN": TOKENS["github"],
        "CLOUDFLARE_API_TOKEN": TOKENS["cloudflare"],
        "PAGERDUTY_API_TOKEN": TOKENS["pagerduty"],
        "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(account),
        "RELORCH_PLAY_API_URL": f"{url}/google/androidpublisher/v3",
        "RELORCH_PLAY_UPLOAD_URL": f"{url}/google/upload/androidpublisher/v3",
        "RELORCH_PLAY_REPORTING_URL": f"{url}/google/playdeveloperreporting/v1beta1",
        "RELORCH_APP_STORE_API_URL": f"{url}/appstore",
        "APP_STORE_CONNECT_KEY_ID": key["key_id"],
        "APP_STORE_CONNECT_ISSUER_ID": key["issuer_id"],
        "APP_STORE_CONNECT_PRIVATE_KEY": key["private_key"],
        "SENTRY_AUTH_TOKEN": TOKENS["sentry"],
    }


def seed_world(sb: Any, control: Any, android: list[str], ios: list[str]) -> None:
    """The sandbox and the Prefect server as N rollouts in flight leave them (the environment
    from `scale_env` already set)."""
    from scripts.localstack import seed_document
    from tasks.limits import ensure_limits
    from tasks.settings import current_policy

    policy = current_policy()
    control.seed({**seed_document(policy), "tokens": TOKENS})
    for name in android:
        _seed_android(sb, policy.android_app(name).package_name)
    for name in ios:
        app = policy.ios_app(name)
        control.asc_app(
            app.app_id,
            app.bundle_id,
            name=name,
            processing_seconds=1,
            day_seconds=IOS_DAY_S,
            beta_groups=list(app.beta_groups),
        )
        _seed_ios(sb, app.app_id)
    asyncio.run(ensure_limits(policy))
    asyncio.run(_seed_timelines(android, ios))


def measure(n: int = 1000, latency_ms: float = 0) -> dict[str, Any]:
    """Seed n rollouts in flight, run one tick, return its time, calls and memory."""
    from prefect.testing.utilities import prefect_test_harness

    from sandbox.control import SandboxControl
    from sandbox.server import start_sandbox

    with (
        tempfile.TemporaryDirectory() as tmp,
        prefect_test_harness(server_startup_timeout=120),
        start_sandbox(tokens=TOKENS) as sb,
    ):
        policy_path, android, ios = scale_policy(Path(tmp), n, sb.url)
        control = SandboxControl(sb.url)
        os.environ.update(scale_env(sb.url, control, policy_path))
        seed_world(sb, control, android, ios)
        if latency_ms:
            for target in ("googleplay", "google-oauth", "app-store-connect"):
                control.add_fault(target, "slow", delay_s=latency_ms / 1000)

        from flows.advance_rollouts import advance_rollouts

        control.clear_requests()
        rss0 = _rss_mb()
        t0 = time.perf_counter()
        state = asyncio.run(advance_rollouts(return_state=True))  # type: ignore[call-overload]
        elapsed = time.perf_counter() - t0
        rss1 = _rss_mb()
        mobile = [
            r
            for r in control.requests()
            if r.get("target") in ("googleplay", "google-oauth", "app-store-connect")
        ]
        rows = state.result(raise_on_failure=False)
        acted = [r for r in rows if r.get("acted")] if isinstance(rows, list) else []
    suffix = "" if not latency_ms else f"_{int(latency_ms)}ms"
    return {
        f"reconcile_{n}_s{suffix}": round(elapsed, 2),
        f"calls_per_rollout{suffix}": round(len(mobile) / max(n, 1), 2),
        f"reconcile_rss_mb{suffix}": round(rss1 - rss0 + 0.0, 1),
        f"reconcile_process_rss_mb{suffix}": round(rss1, 1),
        f"reconcile_state{suffix}": state.type.value,
        f"reconcile_acted{suffix}": len(acted),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    latency = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(json.dumps(measure(n, latency), indent=2))
