"""Run names that say what a run is about, in the UI's list and in `relctl … --watch`:
`verifier a58a743 PR#201`, `wallet 2.4.1 (412)`, `wallet 101`. A continuation is named for the
step it continues with (`wallet 2.4.1 (412) → phase day 3`), see `flows.continuation`."""

from __future__ import annotations

from prefect.runtime import flow_run

__all__ = [
    "android_run_name",
    "emergency_run_name",
    "halt_run_name",
    "ios_run_name",
    "workers_run_name",
]


def _parameters() -> dict[str, object]:
    return dict(flow_run.parameters or {})


def workers_run_name() -> str:
    p = _parameters()
    return f"{p.get('service')} {str(p.get('git_sha', ''))[:7]} PR#{p.get('pr_number')}"


def emergency_run_name() -> str:
    p = _parameters()
    return f"EMERGENCY {p.get('service')} for {p.get('incident_id')} by {p.get('acting_person')}"


def android_run_name() -> str:
    p = _parameters()
    code = p.get("version_code") or "new upload"
    name = f" {p['version_name']}" if p.get("version_name") else ""
    return f"{p.get('app')}{name} ({code})"


def ios_run_name() -> str:
    p = _parameters()
    action = p.get("action") or "release"
    what = "" if action == "release" else f" — {action} by {p.get('operator')}"
    return f"{p.get('app')} {p.get('version')} ({p.get('build_number')}){what}"


def halt_run_name() -> str:
    p = _parameters()
    version = f" {p['version']}" if p.get("version") else ""
    return f"HALT {p.get('platform')} {p.get('app')}{version} by {p.get('operator')}"
