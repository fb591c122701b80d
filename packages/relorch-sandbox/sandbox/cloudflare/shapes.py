"""Cloudflare Workers JSON objects: scripts, versions, deployments."""

from __future__ import annotations

from typing import Any

from sandbox.clock import iso_micro
from sandbox.cloudflare.model import AUTHOR_EMAIL, AUTHOR_ID, Deployment, Script, Version


def version_annotations(version: Version) -> dict[str, str]:
    notes = {"workers/triggered_by": version.triggered_by}
    if version.message:
        notes["workers/message"] = version.message
    if version.tag:
        notes["workers/tag"] = version.tag
    return notes


def version_short(version: Version) -> dict[str, Any]:
    stamp = iso_micro(version.created_on)
    return {
        "id": version.id,
        "number": version.number,
        "metadata": {
            "author_email": AUTHOR_EMAIL,
            "author_id": AUTHOR_ID,
            "created_on": stamp,
            "modified_on": stamp,
            "hasPreview": False,
            "source": version.source,
        },
        "annotations": version_annotations(version),
    }


def version_full(version: Version) -> dict[str, Any]:
    secret_bindings = [{"name": n, "type": "secret_text"} for n in sorted(version.secrets)]
    return {
        **version_short(version),
        "resources": {
            "bindings": version.bindings + secret_bindings,
            "script": {
                "etag": version.etag,
                "handlers": ["fetch"],
                "last_deployed_from": version.source,
            },
            "script_runtime": {
                "compatibility_date": version.compatibility_date,
                "compatibility_flags": [],
                "usage_model": "standard",
            },
        },
    }


def version_uploaded(version: Version) -> dict[str, Any]:
    return {**version_full(version), "startup_time_ms": 7}


def deployment(item: Deployment) -> dict[str, Any]:
    annotations = {"workers/triggered_by": item.triggered_by}
    if item.message:
        annotations["workers/message"] = item.message
    return {
        "id": item.id,
        "created_on": iso_micro(item.created_on),
        "source": item.source,
        "strategy": "percentage",
        "versions": [{"version_id": vid, "percentage": pct} for vid, pct in item.versions],
        "annotations": annotations,
        "author_email": item.author_email,
    }


def script(item: Script) -> dict[str, Any]:
    latest = item.latest_version
    return {
        "id": item.name,
        "tag": latest.etag[:32] if latest else "",
        "etag": latest.etag if latest else "",
        "handlers": ["fetch"],
        "created_on": iso_micro(item.created_on),
        "modified_on": iso_micro(item.modified_on),
        "has_modules": True,
        "has_assets": False,
        "logpush": bool(item.settings.get("logpush")),
        "compatibility_date": latest.compatibility_date if latest else None,
        "last_deployed_from": item.last_deployed_from,
    }
