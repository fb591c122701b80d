"""Everything Google under /google: token endpoint, androidpublisher (+ uploads), reporting."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from sandbox.googleplay import oauth, publisher, reporting

ROUTES: list[BaseRoute] = [
    Mount("/oauth2", routes=oauth.ROUTES),
    Mount("/androidpublisher/v3", routes=publisher.ROUTES),
    Mount("/upload/androidpublisher/v3", routes=publisher.UPLOAD_ROUTES),
    Mount("/playdeveloperreporting/v1beta1", routes=reporting.ROUTES),
]
