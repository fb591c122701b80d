"""openapi-core adapters for httpx requests and responses, and the vendor specs loaded once."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).resolve().parents[1] / "specs"

GITHUB_REST = "github-rest.json"
CLOUDFLARE_WORKERS = "cloudflare-workers.json"
CLOUDFLARE_SECRETS = "cloudflare-workers-secrets.transcribed.json"
CLOUDFLARE_ENVELOPE = "cloudflare-common-envelope.json"
PAGERDUTY_REST = "pagerduty-rest-v2.json"
STATUSPAGE = "statuspage-public-v2.transcribed.json"


@cache
def spec_document(name: str) -> dict[str, Any]:
    return json.loads((SPECS / name).read_text())


@cache
def openapi(name: str) -> OpenAPI:
    return OpenAPI.from_dict(_adjusted(name))


@cache
def _adjusted(name: str) -> dict[str, Any]:
    """The description with two known defects undone, on a copy; nothing else changes.

    - cloudflare-workers.json types the `version_id` *path parameter* with a schema marked
      `readOnly` (meant for response bodies); openapi-core then rejects every request naming a
      version. `readOnly` is dropped from schemas used by parameters.
    - github-rest.json marks enums `nullable` without listing null (e.g. check-run `conclusion`,
      which the API sends as null until a run completes). Under OpenAPI 3.0.3's reading null is
      then invalid; the description means the 3.0.0 reading, so null is added to such enums.
    - pagerduty-rest-v2.json types an incident's `priority` as a plain `$ref` to Priority, yet the
      API sends `"priority": null` for every incident without one (and on accounts with the
      priorities feature off): the property is made nullable.
    """
    document = copy.deepcopy(spec_document(name))
    schemas = document.get("components", {}).get("schemas", {})
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                ref = parameter.get("schema", {}).get("$ref", "")
                target = schemas.get(ref.rsplit("/", 1)[-1]) if ref else parameter.get("schema")
                if target is not None:
                    target.pop("readOnly", None)
    _allow_null_in_nullable_enums(document)
    if name == PAGERDUTY_REST:
        incident = document["components"]["schemas"]["Incident"]["allOf"][1]["properties"]
        incident["priority"] = {
            "anyOf": [incident["priority"], {"type": "object", "nullable": True, "enum": [None]}]
        }
    return document


def _allow_null_in_nullable_enums(node: Any) -> None:
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            node["enum"] = [*enum, None]
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


class OpenAPIRequest:
    """An httpx.Request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode()}"
        # openapi-core matches templates against the decoded path.
        self.path = unquote(url.raw_path.decode().split("?", 1)[0])
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query.decode(), keep_blank_values=True)),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "").lower()


class OpenAPIResponse:
    """An httpx.Response seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "").lower()
        self.data: bytes | None = response.content or None


def validate_exchange(spec: str, request: httpx.Request, response: httpx.Response | None) -> None:
    """Raise if the request (and, when given, the canned answer) breaks the vendor's description."""
    api = openapi(spec)
    adapted = OpenAPIRequest(request)
    api.validate_request(adapted)
    if response is not None:
        api.validate_response(adapted, OpenAPIResponse(response))


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")


def operation_for(spec: str, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The (path template, operation object) a request path maps to, or None if undescribed."""
    document = spec_document(spec)
    prefix = httpx.URL(document["servers"][0]["url"]).path.rstrip("/")
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix) :]
    for template, item in document["paths"].items():
        if method.lower() in item and _template_regex(template).match(relative):
            return template, item[method.lower()]
    return None


def declared_query_parameters(spec: str, method: str, path: str) -> set[str]:
    document = spec_document(spec)
    found = operation_for(spec, method, path)
    assert found is not None
    template, operation = found
    names = set()
    for parameter in [
        *document["paths"][template].get("parameters", []),
        *operation.get("parameters", []),
    ]:
        if "$ref" in parameter:
            target: Any = document
            for part in parameter["$ref"].lstrip("#/").split("/"):
                target = target[part]
            parameter = target
        if parameter["in"] == "query":
            names.add(parameter["name"])
    return names


def validate_component(spec: str, component: str, instance: Any) -> None:
    """Validate `instance` against components/schemas/`component` (OpenAPI 3.0 dialect)."""
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    document = _adjusted(spec)
    registry: Registry[Any] = Registry().with_resource("urn:spec", DRAFT4.create_resource(document))
    schema = {"$ref": f"urn:spec#/components/schemas/{component}"}
    OAS30Validator(schema, registry=registry).validate(instance)
