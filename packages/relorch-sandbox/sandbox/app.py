"""The ASGI app: every provider on one port, each under its own path prefix."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from sandbox import admin
from sandbox.adminutil import AdminError, on_admin_error
from sandbox.appstore import routes as appstore_routes
from sandbox.cloudflare import (
    analytics,
    deployments,
    identity,
    scripts,
    secrets,
    services,
    triggers,
    versions,
)
from sandbox.errors import EXCEPTION_HANDLERS
from sandbox.github import checks as github_checks
from sandbox.github import commits as github_commits
from sandbox.github import deployments as github_deployments
from sandbox.github import graphql as github_graphql
from sandbox.github import rest as github_rest
from sandbox.googleplay import routes as googleplay_routes
from sandbox.middleware import ProviderMiddleware
from sandbox.pagerduty import routes as pagerduty_routes
from sandbox.sentry import routes as sentry_routes
from sandbox.slack import routes as slack_routes
from sandbox.state import SandboxState
from sandbox.statuspage import routes as statuspage_routes
from sandbox.worker import routes as worker_routes


def build_app(state: SandboxState) -> Starlette:
    github = github_rest.ROUTES + github_deployments.ROUTES + github_graphql.ROUTES
    github += github_commits.ROUTES + github_checks.ROUTES
    cloudflare = (
        scripts.ROUTES + versions.ROUTES + deployments.ROUTES + secrets.ROUTES + analytics.ROUTES
    )
    # What wrangler reads and writes around a deploy (services, settings, workers.dev, whoami).
    cloudflare += services.ROUTES + triggers.ROUTES + identity.ROUTES
    app = Starlette(
        routes=[
            Mount("/github", routes=github),
            Mount("/cloudflare/client/v4", routes=cloudflare),
            Mount("/workers", routes=worker_routes.ROUTES),
            Mount("/pagerduty", routes=pagerduty_routes.ROUTES),
            Mount("/statuspage", routes=statuspage_routes.ROUTES),
            Mount("/google", routes=googleplay_routes.ROUTES),
            Mount("/appstore", routes=appstore_routes.ROUTES),
            Mount("/sentry", routes=sentry_routes.ROUTES),
            Mount("/slack", routes=slack_routes.ROUTES),
            Mount("/_sandbox", routes=admin.ROUTES),
        ],
        middleware=[Middleware(ProviderMiddleware, state=state)],
        exception_handlers={**EXCEPTION_HANDLERS, AdminError: on_admin_error},
    )
    app.state.sandbox = state
    return app
