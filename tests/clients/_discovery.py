"""Google discovery documents seen as JSON Schema, to check what the Google clients send and what
the canned answers they are fed look like.

A discovery `schemas` entry becomes a JSON Schema (draft 7) definition: `properties`, `type`,
`items`, `$ref`, `enum`; int64/uint64 (strings on the wire) must be strings of digits, int32 must
fit 32 bits. Objects are closed (`additionalProperties: false`) unless the document declares a
map, so a misspelt field fails. In request mode, `readOnly` ("Output only") fields must be absent.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import httpx
import jsonschema

from tests.clients._spec import spec_document

GOOGLE_PLAY = "google-play-androidpublisher-v3.json"
GOOGLE_REPORTING = "google-play-developer-reporting-v1beta1.json"

_INT64 = r"^-?[0-9]+$"
_UINT64 = r"^[0-9]+$"
_INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"minimum": 0, "maximum": 2**32 - 1}


def to_json_schema(node: dict[str, Any], *, request: bool = False) -> dict[str, Any] | bool:
    """One discovery schema node as JSON Schema."""
    if "$ref" in node:
        return {"$ref": f"#/definitions/{node['$ref']}"}
    kind = node.get("type")
    out: dict[str, Any] = {}
    if kind == "any" or kind is None and "properties" not in node:
        return {}
    if kind is not None:
        out["type"] = kind
    fmt = node.get("format")
    if kind == "string" and fmt in ("int64", "uint64"):
        out["pattern"] = _INT64 if fmt == "int64" else _UINT64
    if kind == "integer" and fmt in ("int32", "uint32"):
        out.update(_INT32 if fmt == "int32" else _UINT32)
    if "enum" in node:
        out["enum"] = list(node["enum"])
    if kind == "array":
        out["items"] = to_json_schema(node.get("items", {}), request=request)
    if kind == "object" or "properties" in node:
        properties: dict[str, Any] = {}
        for name, prop in node.get("properties", {}).items():
            if request and prop.get("readOnly"):
                properties[name] = False  # output only: a request must not carry it
            else:
                properties[name] = to_json_schema(prop, request=request)
        if properties:
            out["properties"] = properties
        if "additionalProperties" in node:
            out["additionalProperties"] = to_json_schema(
                node["additionalProperties"], request=request
            )
        else:
            out["additionalProperties"] = False
    return out


@cache
def _definitions(document: str, request: bool) -> dict[str, Any]:
    schemas = spec_document(document)["schemas"]
    return {name: to_json_schema(node, request=request) for name, node in schemas.items()}


def json_schema(document: str, schema: str, *, request: bool = False) -> dict[str, Any]:
    """A self-contained JSON Schema for the discovery document's `schemas[schema]`."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": f"#/definitions/{schema}",
        "definitions": _definitions(document, request),
    }


def validate(document: str, schema: str, instance: Any, *, request: bool = False) -> None:
    """Raise jsonschema.ValidationError if `instance` does not fit `schemas[schema]`."""
    jsonschema.Draft7Validator(json_schema(document, schema, request=request)).validate(instance)


# -- methods -------------------------------------------------------------------------------------


def _methods(document: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            found.extend(resource.get("methods", {}).values())
            walk(resource.get("resources", {}))

    walk(spec_document(document)["resources"])
    return found


def _template(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{\+[^}]+\}", ".+", path.lstrip("/"))
    pattern = re.sub(r"\{[^}]+\}", "[^/:]+", pattern)
    return re.compile("^/" + pattern + "$")


def method_for(document: str, http_method: str, raw_path: str) -> tuple[dict[str, Any], bool]:
    """(the method a request maps to, whether it is the media upload form), or AssertionError."""
    for method in _methods(document):
        if method["httpMethod"] != http_method.upper():
            continue
        if _template(method["flatPath"]).match(raw_path):
            return method, False
        simple = method.get("mediaUpload", {}).get("protocols", {}).get("simple", {})
        if simple and _template(simple["path"]).match(raw_path):
            return method, True
    raise AssertionError(f"{http_method} {raw_path} is not described by {document}")


def declared_query(document: str, method: dict[str, Any]) -> set[str]:
    params = {**spec_document(document).get("parameters", {}), **method.get("parameters", {})}
    return {name for name, p in params.items() if p.get("location") == "query"}


def check_exchange(
    document: str,
    request: httpx.Request,
    response: httpx.Response | None,
    *,
    undocumented_query: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Check one exchange against the discovery document; returns the method it maps to.

    - the path (and method) is described; a media upload goes to the upload path with a
      content type the method accepts and `uploadType=media`;
    - every query parameter is declared, except those named in `undocumented_query`;
    - the body fits the method's `request` schema (request mode), or is empty when there is none;
    - a 2xx JSON answer fits the method's `response` schema.
    """
    raw_path = request.url.raw_path.decode().split("?", 1)[0]
    method, upload = method_for(document, request.method, raw_path)
    sent = set(request.url.params.keys())
    unknown = sent - declared_query(document, method) - undocumented_query
    assert not unknown, f"{method['id']}: undeclared query parameters {sorted(unknown)}"
    for name, param in method.get("parameters", {}).items():
        if param.get("location") == "query" and param.get("required"):
            assert name in sent, f"{method['id']}: required query parameter {name} missing"
    if upload:
        accepted = method["mediaUpload"]["accept"]
        assert request.headers.get("content-type") in accepted, method["id"]
        assert request.url.params.get("uploadType") == "media", method["id"]
    elif "request" in method:
        body = httpx.Response(200, content=request.content).json()
        validate(document, method["request"]["$ref"], body, request=True)
    else:
        assert not request.content, f"{method['id']} takes no body"
    if response is not None and response.is_success and "response" in method:
        validate(document, method["response"]["$ref"], response.json())
    return method
