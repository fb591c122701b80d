"""Error answers in each provider's own shape, and the exceptions handlers raise to produce them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.appstore.wire import AscError, error_body
from sandbox.googleplay.wire import (
    GoogleError,
    OAuthError,
    generic_google_body,
    generic_oauth_body,
    google_error_body,
    oauth_body,
)
from sandbox.pagerduty.wire import pagerduty_body

GITHUB_DOCS = "https://docs.github.com/rest"

# Cloudflare error codes the sandbox answers with. The first three are documented behaviour
# (workers-sdk source); the rest are the closest codes from the API's own error table.
CF_AUTH = 10000
CF_INTERNAL = 10002
CF_NOT_FOUND = 10007
CF_BAD_CONTENT_TYPE = 10001
CF_VALIDATION = 10021
CF_SECRET_NEEDS_DEPLOYED_LATEST = 10215
CF_ROLLBACK_SECRETS_CHANGED = 10220
CF_RATE_LIMITED = 971  # what the API really sends on a 429 (workers-sdk issue #10025)
CF_NO_ROUTE = 7003
CF_METHOD_NOT_ALLOWED = 7001


class GitHubError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


class CloudflareError(Exception):
    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class WorkerError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def github_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict:
    body: dict[str, Any] = {"message": message, "documentation_url": GITHUB_DOCS}
    if errors is not None:
        body["errors"] = errors
    body["status"] = str(status)
    return body


def cloudflare_body(code: int, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
        "result": None,
    }


def worker_body(message: str) -> dict[str, Any]:
    return {"error": message}


def provider_error(
    target: str, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A generic failure (faults, unknown routes) in the shape the target's clients parse."""
    if target == "github":
        body = github_body(status, message)
    elif target == "cloudflare":
        if status == 429:
            code = CF_RATE_LIMITED
        elif status == 404:
            code = CF_NO_ROUTE
        elif status == 405:
            code = CF_METHOD_NOT_ALLOWED
        else:
            code = CF_INTERNAL
        body = cloudflare_body(code, message)
    elif target == "pagerduty":
        body = pagerduty_body(status, message)
    elif target == "googleplay":
        body = generic_google_body(status, message)
    elif target == "google-oauth":
        body = generic_oauth_body(status, message)
    elif target == "app-store-connect":
        body = error_body(status, message)
    elif target == "sentry":
        body = {"detail": message}
    else:  # the Worker, and status pages: {"error": message}
        body = worker_body(message)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def target_of(path: str) -> str | None:
    """Which provider a request path belongs to; None for the admin API and unknown paths."""
    if path == "/github" or path.startswith("/github/"):
        return "github"
    if path.startswith("/cloudflare/client/v4"):
        return "cloudflare"
    if path.startswith("/workers/"):
        return "worker"
    if path == "/pagerduty" or path.startswith("/pagerduty/"):
        return "pagerduty"
    if path.startswith("/statuspage/"):
        return "statuspage"
    if path.startswith("/google/oauth2/"):
        return "google-oauth"
    if path.startswith("/google/"):
        return "googleplay"
    if path.startswith("/appstore/"):
        return "app-store-connect"
    if path.startswith("/sentry/"):
        return "sentry"
    return None


async def on_github_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, GitHubError)
    return JSONResponse(github_body(exc.status, exc.message, exc.errors), status_code=exc.status)


async def on_cloudflare_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, CloudflareError)
    return JSONResponse(cloudflare_body(exc.code, exc.message), status_code=exc.status)


async def on_worker_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, WorkerError)
    return JSONResponse(worker_body(exc.message), status_code=exc.status)


async def on_google_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, GoogleError)
    body = google_error_body(exc)
    return JSONResponse(body, status_code=exc.http_status, headers=exc.headers)


async def on_oauth_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return JSONResponse(oauth_body(exc.error, exc.description), status_code=exc.http_status)


async def on_asc_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AscError)
    body = error_body(exc.status, exc.detail, code=exc.code, title=exc.title)
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Routing misses (404/405) answered in the shape of whichever provider the path names."""
    assert isinstance(exc, HTTPException)
    target = target_of(request.url.path) or "admin"
    messages = {404: "Not Found", 405: "Method Not Allowed"}
    message = messages.get(exc.status_code, exc.detail or "Error")
    if target == "cloudflare" and exc.status_code == 404:
        message = "No route for the URI"
    return provider_error(target, exc.status_code, message, headers=exc.headers)


EXCEPTION_HANDLERS = {
    GitHubError: on_github_error,
    CloudflareError: on_cloudflare_error,
    WorkerError: on_worker_error,
    GoogleError: on_google_error,
    OAuthError: on_oauth_error,
    AscError: on_asc_error,
    HTTPException: on_http_exception,
}
