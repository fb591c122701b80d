"""Everything App Store Connect under /appstore (the API's own paths: /v1/..., /v2/...)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from sandbox.appstore import apps, availability, builds, review, versions

__all__ = ["ROUTES"]

ROUTES: list[BaseRoute] = [
    *apps.ROUTES,
    *builds.ROUTES,
    *versions.ROUTES,
    *review.ROUTES,
    *availability.ROUTES,
]
