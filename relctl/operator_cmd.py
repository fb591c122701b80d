"""`relctl rollout halt|resume` and `relctl trigger`: an operator's actions from a terminal.

halt   → a `halt-rollout/operator` run (Android: halted on Play; iOS: phased release paused),
         followed to its verdict.
resume → the release's own flow as an operator's run: Android `android-release` with
         `resume_reason` + `operator` (at the fraction it was halted at), iOS `ios-release` with
         `action=resume`. Freeze-gated, as every forward step.
Without `--version`, the one rollout of that app the latest `active-rollouts` table shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from procedure.request import RequestError, parse_request

__all__ = ["FLOW_MODELS", "halt_parameters", "resume_parameters", "trigger_parameters"]

# flow name → its request model (module, class): `relctl trigger` checks parameters with it
FLOW_MODELS = {
    "workers-deploy": ("procedure.request", "WorkersDeployRequest"),
    "workers-emergency-deploy": ("procedure.emergency", "EmergencyRequest"),
    "workers-recover": ("procedure.request", "WorkersRecoverRequest"),
    "android-release": ("procedure.android_request", "AndroidReleaseRequest"),
    "ios-release": ("procedure.ios_request", "IosReleaseRequest"),
    "halt-rollout": ("procedure.halt_request", "HaltRequest"),
    "pr-checklist": ("procedure.pr_checklist_request", "PrChecklistRequest"),
}


def _model(flow_name: str) -> Any:
    import importlib

    module, name = FLOW_MODELS[flow_name]
    return getattr(importlib.import_module(module), name)


def trigger_parameters(flow_name: str, text: str) -> dict[str, Any]:
    """`--params` as JSON, checked by the flow's own model when relctl knows the flow (the API's
    parameter schema checks the rest)."""
    try:
        params = json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError(f"--params: not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(params, dict):
        raise RequestError("--params: a JSON object of the flow's parameters")
    if flow_name in FLOW_MODELS:
        params = parse_request(_model(flow_name), params).model_dump(exclude_defaults=True)
    return params


def _in_flight(platform: str, app: str, rows: list[dict[str, Any]]) -> list[str]:
    """The versions of `app` the latest active-rollouts table shows."""
    label = f"{app} (iOS)" if platform == "ios" else app
    return [str(r["version"]) for r in rows if r.get("app") == label and r.get("version")]


def _version(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(version, build) from the options, or the app's one rollout in the latest table."""
    if args.version:
        return args.version, args.build
    from relctl.rollout_cmd import latest_rollouts

    found = _in_flight(args.platform, args.app, asyncio.run(latest_rollouts()))
    if len(found) != 1:
        raise RequestError(
            f"--version: the latest active-rollouts table shows {len(found) or 'no'} rollout(s) "
            f"of {args.app} ({args.platform}); give --version"
            + (" and --build" if args.platform == "ios" else "")
        )
    if args.platform == "ios":  # "2.4.0 (400)"
        version, _, build = found[0].partition(" (")
        return version, build.rstrip(")") or None
    return found[0], None


def halt_parameters(args: argparse.Namespace) -> dict[str, Any]:
    from procedure.halt_request import HaltRequest

    params = {
        "platform": args.platform,
        "app": args.app,
        "operator": args.operator,
        "reason": args.reason,
        "version": args.version,
        "build_number": args.build,
    }
    return parse_request(HaltRequest, params).model_dump(exclude_none=True)


def resume_parameters(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """(flow name, parameters) of the operator's resume run."""
    version, build = _version(args)
    if args.platform == "android":
        from procedure.android_request import AndroidReleaseRequest

        if not (version or "").isdigit():
            raise RequestError(f"--version: {version!r} is not an Android version code")
        params: dict[str, Any] = {
            "app": args.app,
            "version_code": int(str(version)),
            "resume_reason": args.reason,
            "operator": args.operator,
            # past its soak: `significant` changes nothing now (a significant rollout's timeline
            # keeps it significant)
            "significant": False,
        }
        model: Any = AndroidReleaseRequest
        flow_name = "android-release"
    else:
        from procedure.ios_request import IosReleaseRequest

        if not build:
            raise RequestError("--build: the build number of the paused version")
        params = {
            "app": args.app,
            "version": version,
            "build_number": build,
            "action": "resume",
            "operator": args.operator,
            "reason": args.reason,
        }
        model, flow_name = IosReleaseRequest, "ios-release"
    return flow_name, parse_request(model, params).model_dump(exclude_defaults=True)
