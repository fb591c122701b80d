"""Run names that say what a run is about, in the UI's list and in `relctl … --watch`:
`verifier a58a743 PR#201`, `wallet 2.4.1 (412)`, `wallet 101`. A continuation is named for the
step it continues with (`wallet 2.4.1 (412) → phase day 3`), see `flows.continuation`."""

from __future__ import annotations

import functools
from collections.abc import Callable

from prefect.runtime import flow_run

NEXT = " → "  # flows.continuation names a continuation `<release> → <step>`

__all__ = [
    "android_run_name",
    "emergency_run_name",
    "halt_run_name",
    "ios_run_name",
    "workers_run_name",
]


def _parameters() -> dict[str, object]:
    return dict(flow_run.parameters or {})


def _given_name() -> str:
    return str(flow_run.name or "")


def _keeps_step(name_of: Callable[[], str]) -> Callable[[], str]:
    """Prefect renames every run it starts: a continuation keeps the name it was created with
    (`… → soak at 0%`), the one that says its step."""

    @functools.wraps(name_of)
    def named() -> str:
        given = _given_name()
        return given if NEXT in given else name_of()

    return named


@_keeps_step
def workers_run_name() -> str:
    p = _parameters()
    return f"{p.get('service')} {str(p.get('git_sha', ''))[:7]} PR#{p.get('pr_number')}"


@_keeps_step
def emergency_run_name() -> str:
    p = _parameters()
    return f"EMERGENCY {p.get('service')} for {p.get('incident_id')} by {p.get('acting_person')}"


@_keeps_step
def android_run_name() -> str:
    p = _parameters()
    code = p.get("version_code") or "new upload"
    name = f" {p['version_name']}" if p.get("version_name") else ""
    return f"{p.get('app')}{name} ({code})"


@_keeps_step
def ios_run_name() -> str:
    p = _parameters()
    action = p.get("action") or "release"
    what = "" if action == "release" else f" — {action} by {p.get('operator')}"
    return f"{p.get('app')} {p.get('version')} ({p.get('build_number')}){what}"


@_keeps_step
def halt_run_name() -> str:
    p = _parameters()
    version = f" {p['version']}" if p.get("version") else ""
    return f"HALT {p.get('platform')} {p.get('app')}{version} by {p.get('operator')}"
