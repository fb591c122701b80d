"""Seed documents: a whole starting world (tokens, repositories, accounts and scripts) in one go.

    {"tokens": {"github": "...", "cloudflare": "..."},
     "github": {"repos": [{"repo": "acme/auth-api", "default_branch": "main",
                           "required_approvals": 1, "via": "protection",
                           "thread_resolution": true}]},
     "cloudflare": {"accounts": [{"id": "acct", "scripts": [
         {"name": "auth-api-production", "secrets": ["SIGNING_KEY"]}]}]},
     "googleplay": {"service_accounts": [{"client_email": "...", "public_key_pem": "..."}],
                    "apps": [{"package_name": "com.acme.app", "production_version_code": 100,
                              "review_seconds": 2.0}]},
     "appstore": {"keys": [{"key_id": "ABC123DEFG", "issuer_id": "...", "public_key_pem": "..."}],
                  "apps": [{"id": "1234567890", "bundle_id": "com.acme.app", "name": "Acme",
                            "beta_groups": ["Internal"], "review_seconds": 120}]},
     "sentry": {"health": [{"project": "42", "release": "com.acme.app@1.2.0+45",
                            "crash_free_sessions": 0.998, "sessions_per_hour": 1200}]}}

Seeding adds to the current state; reset first for a clean world.
"""

from __future__ import annotations

from typing import Any

from sandbox.adminutil import AdminError
from sandbox.appstore.admin import register_key as asc_register_key
from sandbox.appstore.admin import upsert_app as asc_upsert_app
from sandbox.cloudflare.admin import create_script
from sandbox.github.admin import upsert_repo
from sandbox.googleplay.admin import PACKAGE_NAME, register_service_account, upsert_app
from sandbox.sentry.admin import set_health
from sandbox.state import SandboxState


def _list(doc: Any, key: str) -> list[dict[str, Any]]:
    items = doc.get(key, []) if isinstance(doc, dict) else []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise AdminError(f"{key} must be a list of objects")
    return items


def apply_seed(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    """Apply a seed document; returns what was created (script -> initial version id)."""
    created: dict[str, Any] = {"repos": [], "scripts": {}, "play_apps": [], "appstore_apps": []}
    with state.lock:
        tokens = doc.get("tokens")
        if tokens is not None:
            if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
                raise AdminError("tokens must map provider -> token")
            try:
                state.set_tokens(tokens)
            except ValueError as exc:
                raise AdminError(str(exc)) from exc
        for repo_doc in _list(doc.get("github"), "repos"):
            full_name = repo_doc.get("repo")
            if not isinstance(full_name, str):
                raise AdminError("each repo needs 'repo': 'owner/name'")
            created["repos"].append(upsert_repo(state, full_name, repo_doc).full_name)
        for account_doc in _list(doc.get("cloudflare"), "accounts"):
            account_id = account_doc.get("id")
            if not isinstance(account_id, str) or not account_id:
                raise AdminError("each account needs an 'id'")
            state.cloudflare.ensure_account(account_id)
            for script_doc in _list(account_doc, "scripts"):
                name = script_doc.get("name")
                if not isinstance(name, str):
                    raise AdminError("each script needs a 'name'")
                script = create_script(state, account_id, name, script_doc)
                assert script.latest_version is not None
                created["scripts"][name] = script.latest_version.id
        for account_doc in _list(doc.get("googleplay"), "service_accounts"):
            register_service_account(state, account_doc)
        for app_doc in _list(doc.get("googleplay"), "apps"):
            package_name = app_doc.get("package_name")
            if not isinstance(package_name, str) or not PACKAGE_NAME.match(package_name):
                raise AdminError("each Play app needs a 'package_name' like com.acme.app")
            created["play_apps"].append(upsert_app(state, package_name, app_doc).package_name)
        for key_doc in _list(doc.get("appstore"), "keys"):
            asc_register_key(state, key_doc)
        for app_doc in _list(doc.get("appstore"), "apps"):
            app_id = app_doc.get("id")
            if not isinstance(app_id, str):
                raise AdminError("each App Store app needs an 'id' (numeric string)")
            created["appstore_apps"].append(asc_upsert_app(state, app_id, app_doc).id)
        for health_doc in _list(doc.get("sentry"), "health"):
            set_health(state, health_doc)
    return created
