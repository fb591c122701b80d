"""`relctl`: a thin console over the Prefect API and the core.

relctl policy check [--policy FILE] [--profile NAME]
relctl limits ensure
relctl deployments refuse-unknown-parameters      (after every `prefect deploy`)
relctl automations apply [--missed-after SECONDS]  (after every `prefect deploy`: crash detection)
relctl release workers --service S --sha SHA --pr N --version ENV=ID ... [--[no-]significant
                       [--significant-reason WHY]] [--ci-run-id ID (default $GITHUB_RUN_ID)]
                       [--watch] [--resume (replace a crashed/cancelled run under the key)]
relctl release android|ios --app A ... [--watch]   (options: the flow's parameters)
relctl rollout status [--json] [--calendar-only]
relctl rollout halt android|ios APP --operator WHO --reason WHY [--version V [--build B]]
relctl rollout resume android|ios APP --operator WHO --reason WHY [--version V [--build B]]
relctl trigger FLOW/DEPLOYMENT --params JSON [--key KEY] [--watch]
relctl pr-checklist --service S --pr-number N [--head-sha SHA] [--ci-run-id ID] [--watch]
relctl freeze [--at INSTANT] [--json] [--sources calendar]   (exit 0 clear, 1 frozen, 2 bad input)
relctl freeze --calendar [--from DATE] [--days N] [--sources calendar] [--json]

Exit codes of the commands that start runs (with --watch: the verdict of the whole chain of runs):
  0 released / done   1 failed   2 bad input, nothing started   3 not finished by --timeout
  4 the run under this key is dead (--resume starts its replacement)   5 superseded
The Prefect API: PREFECT_API_URL, with PREFECT_API_KEY or PREFECT_API_AUTH_STRING when it asks.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from procedure.policy import PolicyError
from tasks.policy_file import load_policy
from tasks.settings import DEFAULT_POLICY


def _policy_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        default=os.environ.get("RELORCH_POLICY", str(DEFAULT_POLICY)),
        help="the policy file (default: $RELORCH_POLICY or the shipped one)",
    )
    parser.add_argument(
        "--profile",
        default=os.environ.get("RELORCH_PROFILE") or None,
        help="a profile of the policy file, e.g. sandbox (default: $RELORCH_PROFILE)",
    )


def cmd_policy_check(args: argparse.Namespace) -> int:
    policy = load_policy(Path(args.policy), args.profile)
    print(
        f"{args.policy}: valid — {len(policy.services)} services, owner {policy.metadata.owner},"
        f" next review {policy.metadata.next_review}"
    )
    from datetime import date

    warning = policy.metadata.review_warning(date.today())
    if warning:
        print(f"warning: {warning}")
    return 0


def cmd_limits_ensure(args: argparse.Namespace) -> int:
    from tasks.limits import ensure_limits

    names = asyncio.run(ensure_limits(load_policy(Path(args.policy), args.profile)))
    print("\n".join(names))
    return 0


def cmd_refuse_unknown_parameters(args: argparse.Namespace) -> int:
    from relctl.trigger import PrefectApi

    api = PrefectApi(_api_url())
    try:
        changed = api.refuse_unknown_parameters()
    finally:
        api.close()
    print(f"closed the parameter schema of {len(changed)} deployment(s)")
    return 0


def cmd_automations_apply(args: argparse.Namespace) -> int:
    from prefect.client.orchestration import get_client

    from relctl.automations import apply_automations, crash_detection

    crash_detection(args.missed_after)  # a bad window is refused before any API call

    async def apply() -> list[str]:
        async with get_client() as client:
            webhook = os.environ.get("RELORCH_SLACK_WEBHOOK_URL") or None
            return await apply_automations(client, args.missed_after, webhook)

    print("\n".join(asyncio.run(apply())))
    return 0


def cmd_release_workers(args: argparse.Namespace) -> int:
    from procedure.request import WorkersDeployRequest, parse_request
    from relctl.trigger import PrefectApi, workers_idempotency_key

    versions = dict(pair.split("=", 1) for pair in args.version)
    params = {
        "service": args.service,
        "git_sha": args.sha,
        "pr_number": args.pr,
        "version_ids": versions,
    }
    if args.significant is not None:
        params["significant"] = args.significant
    if args.ci_run_id:
        params["ci_run_id"] = args.ci_run_id
    if args.significant_reason:
        params["significant_reason"] = args.significant_reason
    # the flow's own request model: a bad value exits 2 naming it, before the API is called
    params = parse_request(WorkersDeployRequest, params).model_dump(exclude_defaults=True)
    api = PrefectApi(_api_url())
    dep = api.deployment_id("workers-deploy", args.deployment)
    # GitHub Actions: a re-run of the job keeps GITHUB_RUN_ID and raises GITHUB_RUN_ATTEMPT
    run_id, attempt = os.environ.get("GITHUB_RUN_ID"), os.environ.get("GITHUB_RUN_ATTEMPT")
    key = workers_idempotency_key(params, f"{run_id}.{attempt}" if run_id and attempt else None)
    return _start_and_watch(api, dep, params, key, args)


MOBILE = {  # relctl release <path> → the flow, its request model (module, class), hidden fields
    "android": ("android-release", "procedure.android_request", "AndroidReleaseRequest"),
    "ios": ("ios-release", "procedure.ios_request", "IosReleaseRequest"),
}
SET_BY_RUNS = frozenset({"outage_attempt"})


def _mobile_model(path: str) -> Any:
    import importlib

    _, module, name = MOBILE[path]
    return getattr(importlib.import_module(module), name)


def cmd_release_mobile(args: argparse.Namespace) -> int:
    from relctl.model_options import parameters_from_options
    from relctl.trigger import PrefectApi

    flow_name = MOBILE[args.path][0]
    # the flow's own request model: a bad value exits 2 naming it, before the API is called
    params = parameters_from_options(_mobile_model(args.path), args)
    api = PrefectApi(_api_url())
    dep = api.deployment_id(flow_name, args.deployment)
    run_id, attempt = os.environ.get("GITHUB_RUN_ID"), os.environ.get("GITHUB_RUN_ATTEMPT")
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    key = f"{flow_name}:{digest}" + (f"@ci={run_id}.{attempt}" if run_id and attempt else "")
    return _start_and_watch(api, dep, params, key, args)


def _api_url() -> str:
    return os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api")


def cmd_pr_checklist(args: argparse.Namespace) -> int:
    """Start pr-checklist (the Pre-Deploy Checklist on an open PR, posted as its check run)."""
    from procedure.pr_checklist_request import PrChecklistRequest
    from relctl.model_options import parameters_from_options
    from relctl.trigger import PrefectApi

    params = parameters_from_options(PrChecklistRequest, args)  # exits 2 naming a bad value
    if "ci_run_id" not in params and os.environ.get("GITHUB_RUN_ID"):
        params["ci_run_id"] = int(os.environ["GITHUB_RUN_ID"])  # the job that is triggering
    api = PrefectApi(_api_url())
    dep = api.deployment_id("pr-checklist", args.deployment)
    run_id, attempt = os.environ.get("GITHUB_RUN_ID"), os.environ.get("GITHUB_RUN_ATTEMPT")
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    key = f"pr-checklist:{digest}" + (f"@ci={run_id}.{attempt}" if run_id and attempt else "")
    return _start_and_watch(api, dep, params, key, args)


def _start_and_watch(
    api: Any, deployment: str, params: dict[str, Any], key: str, args: argparse.Namespace
) -> int:
    """Start the run (or find it under its key), print it; with --watch follow it and its
    continuations to the verdict (exit codes: relctl.watch.EXIT)."""
    from relctl.trigger import DeadRun, start_release
    from relctl.watch import EXIT, Watcher, run_link, ui_url

    try:
        run, created, replaced = start_release(api, deployment, params, key, resume=args.resume)
    except DeadRun as dead:
        print(f"relctl: {dead}", file=sys.stderr)
        return EXIT["dead"]
    ui = ui_url(getattr(api, "api_url", _api_url()))
    answer = {
        "flow_run_id": run["id"],
        "name": run["name"],
        "created": created,
        "url": run_link(ui, run["id"]),
    }
    if replaced:
        answer["replaces"] = replaced
    print(json.dumps(answer), flush=True)
    if not args.watch:
        return EXIT["released"]  # started (or found under its key)
    return Watcher(api, ui, lambda line: print(line, flush=True)).watch(run["id"], args.timeout)


def cmd_trigger(args: argparse.Namespace) -> int:
    from relctl.operator_cmd import trigger_parameters
    from relctl.trigger import PrefectApi

    flow_name, _, deployment = args.deployment.partition("/")
    if not deployment:
        raise ValueError(f"DEPLOYMENT: {args.deployment!r} is not FLOW/DEPLOYMENT")
    params = trigger_parameters(flow_name, args.params)
    api = PrefectApi(_api_url())
    dep = api.deployment_id(flow_name, deployment)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    run_id, attempt = os.environ.get("GITHUB_RUN_ID"), os.environ.get("GITHUB_RUN_ATTEMPT")
    key = args.key or f"{flow_name}:{digest}" + (
        f"@ci={run_id}.{attempt}" if run_id and attempt else ""
    )
    return _start_and_watch(api, dep, params, key, args)


def cmd_rollout_halt(args: argparse.Namespace) -> int:
    from relctl.operator_cmd import halt_parameters
    from relctl.trigger import PrefectApi

    params = halt_parameters(args)
    api = PrefectApi(_api_url())
    dep = api.deployment_id("halt-rollout", args.deployment)
    # one run per invocation (the transport's retries reuse the key): a halt is idempotent
    key = f"halt-rollout:{args.platform}:{args.app}:{os.urandom(6).hex()}"
    return _start_and_watch(api, dep, params, key, args)


def cmd_rollout_resume(args: argparse.Namespace) -> int:
    from relctl.operator_cmd import resume_parameters
    from relctl.trigger import PrefectApi

    flow_name, params = resume_parameters(args)
    api = PrefectApi(_api_url())
    dep = api.deployment_id(flow_name, args.deployment)
    # one run per invocation: the same words may resume the same rollout again after a new halt
    key = f"resume:{flow_name}:{args.app}:{os.urandom(6).hex()}"
    return _start_and_watch(api, dep, params, key, args)


def cmd_rollout_status(args: argparse.Namespace) -> int:
    from relctl import rollout_cmd

    policy = load_policy(Path(args.policy), args.profile)
    return rollout_cmd.run(policy, as_json=args.json, live=not args.calendar_only)


def cmd_freeze(args: argparse.Namespace) -> int:
    from relctl import freeze_cmd

    return freeze_cmd.run(args, load_policy(Path(args.policy), args.profile))


def _run_id(value: str | int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ci-run-id: {value!r} is not a run id") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"--ci-run-id: {value!r} is not a run id")
    return number


def _watch_args(parser: argparse.ArgumentParser, timeout: float, resume: bool = True) -> None:
    parser.add_argument(
        "--watch",
        action="store_true",
        help="follow the run and its continuations, printing each step, its UI link and the "
        "verdict; the exit code is the verdict (see relctl --help)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=timeout,
        metavar="SECONDS",
        help=f"with --watch: give up waiting after this long, exit 3 (default {timeout:g})",
    )
    if resume:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="if the run under this key crashed or was cancelled, start its replacement "
            "(default: exit 4 naming the dead run)",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relctl",
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    policy = sub.add_parser("policy", help="the policy file").add_subparsers(
        dest="action", required=True
    )
    check = policy.add_parser("check", help="validate the policy file and show what it says")
    _policy_args(check)
    check.set_defaults(func=cmd_policy_check)

    limits = sub.add_parser("limits", help="Prefect concurrency limits").add_subparsers(
        dest="action", required=True
    )
    ensure = limits.add_parser("ensure", help="create the per-service production limits")
    _policy_args(ensure)
    ensure.set_defaults(func=cmd_limits_ensure)

    deployments = sub.add_parser("deployments", help="Prefect deployments").add_subparsers(
        dest="action", required=True
    )
    strict = deployments.add_parser(
        "refuse-unknown-parameters", help="make the API refuse parameters a flow does not take"
    )
    strict.set_defaults(func=cmd_refuse_unknown_parameters)

    automations = sub.add_parser("automations", help="Prefect automations").add_subparsers(
        dest="action", required=True
    )
    apply = automations.add_parser(
        "apply", help="create or update crash detection (a run whose heartbeat stops is Crashed)"
    )
    apply.add_argument(
        "--missed-after",
        type=float,
        default=90.0,
        metavar="SECONDS",
        help="silence after which a run is dead (> the 30 s heartbeat; default 90)",
    )
    apply.set_defaults(func=cmd_automations_apply)

    release = sub.add_parser("release", help="start a release as CI does").add_subparsers(
        dest="path", required=True
    )
    from procedure.request import WorkersDeployRequest

    def field(name: str) -> str:  # the flow's own parameter description: one definition
        return WorkersDeployRequest.model_fields[name].description or ""

    workers = release.add_parser("workers", help="a Cloudflare Workers release")
    workers.add_argument("--service", required=True, help=field("service"))
    workers.add_argument("--sha", required=True, help=field("git_sha"))
    workers.add_argument("--pr", type=int, required=True, help=field("pr_number"))
    workers.add_argument(
        "--version",
        action="append",
        default=[],
        metavar="ENV=ID",
        required=True,
        help="the version CI uploaded for ENV (once per environment)",
    )
    workers.add_argument(
        "--significant",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=field("significant"),
    )
    workers.add_argument(
        "--ci-run-id",
        type=_run_id,
        default=os.environ.get("GITHUB_RUN_ID") or None,
        help=f"{field('ci_run_id')} (default: $GITHUB_RUN_ID)",
    )
    workers.add_argument("--significant-reason", default=None, help=field("significant_reason"))
    workers.add_argument("--deployment", default="standard", help="the deployment's name")
    _watch_args(workers, 3 * 3600)
    workers.set_defaults(func=cmd_release_workers)
    from relctl.model_options import add_model_options

    for path, (flow_name, _, _) in MOBILE.items():
        mobile = release.add_parser(path, help=f"an {flow_name} run (options: its parameters)")
        add_model_options(mobile, _mobile_model(path), hidden=SET_BY_RUNS)
        mobile.add_argument("--deployment", default="standard", help="the deployment's name")
        _watch_args(mobile, 7 * 86400)
        mobile.set_defaults(func=cmd_release_mobile)
    from procedure.pr_checklist_request import PrChecklistRequest

    pr = sub.add_parser("pr-checklist", help="post the Pre-Deploy Checklist on an open PR")
    add_model_options(pr, PrChecklistRequest)
    pr.add_argument("--deployment", default="on-pull-request", help="the deployment's name")
    _watch_args(pr, 900)
    pr.set_defaults(func=cmd_pr_checklist)
    rollout = sub.add_parser("rollout", help="rollouts in flight").add_subparsers(
        dest="rollout_command", required=True
    )
    status = rollout.add_parser(
        "status",
        help="each rollout in flight: its stage, what it waits for, and when it reaches 100 % "
        "(remaining soaks over the freeze calendar)",
    )
    status.add_argument("--json", action="store_true", help="print the rows as JSON")
    status.add_argument(
        "--calendar-only",
        action="store_true",
        help="forecast over holidays and declared freezes only (read no provider)",
    )
    _policy_args(status)
    status.set_defaults(func=cmd_rollout_status)
    for action, what, func in (
        (
            "halt",
            "halt a rollout now: Android halted on Play (also at 100 %), iOS phased release "
            "paused; never frozen; audited",
            cmd_rollout_halt,
        ),
        (
            "resume",
            "resume a halted (Android) or paused (iOS) rollout at the stage it stopped at; "
            "freeze-gated; audited",
            cmd_rollout_resume,
        ),
    ):
        cmd = rollout.add_parser(action, help=what, description=what)
        cmd.add_argument("platform", choices=["android", "ios"], help="the app's platform")
        cmd.add_argument("app", help="the app's name in the policy")
        cmd.add_argument("--operator", required=True, help="who acts (recorded in the audit)")
        cmd.add_argument("--reason", required=True, help="why (recorded in the audit and alert)")
        cmd.add_argument(
            "--version",
            help="Android: the version code; iOS: the version (default: the app's one rollout "
            "in the latest active-rollouts table)",
        )
        cmd.add_argument("--build", help="iOS: the build number")
        cmd.add_argument(
            "--deployment",
            default="operator" if action == "halt" else "standard",
            help="the deployment's name",
        )
        _watch_args(cmd, 600 if action == "halt" else 7 * 86400, resume=False)
        cmd.set_defaults(func=func, resume=False, watch_default=action == "halt")
    trigger = sub.add_parser(
        "trigger",
        help="start any deployment with JSON parameters (checked by the flow's own model)",
    )
    trigger.add_argument(
        "deployment", metavar="FLOW/DEPLOYMENT", help="e.g. android-release/standard"
    )
    trigger.add_argument("--params", default="{}", metavar="JSON", help="the flow's parameters")
    trigger.add_argument(
        "--key",
        help="idempotency key (default: the parameters' digest, with GITHUB_RUN_ID.ATTEMPT in "
        "CI): the same key returns the same run",
    )
    _watch_args(trigger, 3 * 3600)
    trigger.set_defaults(func=cmd_trigger)
    freeze = sub.add_parser("freeze", help="is production frozen? (and the calendar ahead)")
    freeze.add_argument("--at", help="an instant (ISO 8601; no offset = the team's time zone)")
    freeze.add_argument("--json", action="store_true", help="print the answer as JSON")
    freeze.add_argument("--calendar", action="store_true", help="list the windows ahead")
    freeze.add_argument("--from", dest="from_date", help="first day of the calendar (YYYY-MM-DD)")
    freeze.add_argument("--days", type=int, default=14, help="days of calendar (default 14)")
    freeze.add_argument(
        "--sources",
        default="all",
        help="calendar = holidays + declared freezes (reads no provider); all = every source",
    )
    _policy_args(freeze)
    freeze.set_defaults(func=cmd_freeze)
    return parser


def main(argv: list[str] | None = None) -> int:
    import httpx

    args = build_parser().parse_args(argv)
    if getattr(args, "watch_default", False):
        args.watch = True  # a halt is short: say its verdict
    try:
        return int(args.func(args))
    except (PolicyError, ValueError) as error:
        print(f"relctl: {error}", file=sys.stderr)
        return 2
    except httpx.HTTPStatusError as error:
        status = error.response.status_code
        if status in (401, 403):
            print(
                f"relctl: the Prefect API at {_api_url()} refused us ({status}): set "
                "PREFECT_API_AUTH_STRING (user:password) or PREFECT_API_KEY",
                file=sys.stderr,
            )
            return 2
        if status == 404:
            print(f"relctl: not found: {error.request.url} (deployed?)", file=sys.stderr)
            return 2
        raise
    except httpx.TransportError as error:
        print(f"relctl: cannot reach the Prefect API at {_api_url()}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
