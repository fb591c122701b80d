"""`relctl deployments refuse-unknown-parameters`: what it sends to the Prefect API."""

from __future__ import annotations

import json

import httpx

from relctl.trigger import PrefectApi

OPEN = {"title": "Parameters", "type": "object", "properties": {"days": {"type": "integer"}}}


def test_closes_every_open_schema_once() -> None:
    patched: list[tuple[str, dict]] = []
    deployments = [
        {"id": "d1", "name": "daily", "parameter_openapi_schema": OPEN},
        {
            "id": "d2",
            "name": "standard",
            "parameter_openapi_schema": {**OPEN, "additionalProperties": False},
        },
        {"id": "d3", "name": "no-schema", "parameter_openapi_schema": None},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/deployments/filter"):
            return httpx.Response(200, json=deployments)
        assert request.method == "PATCH"
        patched.append((request.url.path, json.loads(request.content)))
        return httpx.Response(204)

    http = httpx.Client(base_url="http://prefect.test/api/", transport=httpx.MockTransport(handler))
    assert PrefectApi("http://prefect.test/api", http=http).refuse_unknown_parameters() == ["daily"]
    assert patched == [
        (
            "/api/deployments/d1",
            {"parameter_openapi_schema": {**OPEN, "additionalProperties": False}},
        )
    ]
