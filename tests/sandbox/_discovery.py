"""Google API discovery documents (tests/specs/google-*.json) as JSON Schema, for jsonschema.

Reusable by any test that checks Google Play traffic (the sandbox's answers, the client's
requests):

    document = androidpublisher()                       # with the documented gaps filled
    errors = body_errors(document, "Track", {"track": "production", "releases": [...]})
    method = find_method(document, "POST", "androidpublisher/v3/applications/p/edits/1:commit")
    problems = exchange_errors(document, response, strip="/google/")   # an httpx.Response

Conversion of a discovery `schemas` entry: `type`/`properties`/`items`/`additionalProperties`/
`enum`, `$ref` to `#/$defs/<id>`, `format: int64|uint64` as a string of digits (proto3 JSON),
`int32`/`uint32` as bounded integers, `double`/`float` as numbers, `google-duration` as "<n>s",
`google-datetime` as an RFC 3339 string, `byte` as base64, `any` as anything. Objects refuse
properties the description does not name (`strict=True`) — that is what catches a misspelt field.

The androidpublisher revision in tests/specs predates two things the reference documents
(tests/specs/README.md, "Known gaps"); `androidpublisher()` adds them, transcribed from
../reference/mobile-apis.md sections 2.2, 2.5 and 7: the `changesInReviewBehavior` query parameter
of edits.commit and the `applications.tracks.releases.list` method with its
ListReleaseSummariesResponse / ReleaseSummary / ArtifactSummary schemas.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from jsonschema import Draft202012Validator

SPECS = Path(__file__).resolve().parents[1] / "specs"
ANDROIDPUBLISHER = "google-play-androidpublisher-v3.json"
REPORTING = "google-play-developer-reporting-v1beta1.json"
INT64_PATTERN = r"^-?[0-9]+$"
GRPC_STATUSES = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
]

# Transcribed from ../reference/mobile-apis.md (2.2, 2.5, 7), discovery-shaped so the same
# converter applies. Not in the trimmed revision 20240709 (see tests/specs/README.md).
REFERENCE_GAPS: dict[str, Any] = {
    "commit_parameters": {
        "changesInReviewBehavior": {
            "location": "query",
            "type": "string",
            "enum": [
                "CHANGES_IN_REVIEW_BEHAVIOR_TYPE_UNSPECIFIED",
                "CANCEL_IN_REVIEW_AND_SUBMIT",
                "ERROR_IF_IN_REVIEW",
            ],
        }
    },
    "releases_list": {
        "id": "androidpublisher.applications.tracks.releases.list",
        "httpMethod": "GET",
        "flatPath": "androidpublisher/v3/applications/{packageName}/tracks/{track}/releases",
        "path": "androidpublisher/v3/applications/{packageName}/tracks/{track}/releases",
        "parameters": {
            "packageName": {"location": "path", "required": True, "type": "string"},
            "track": {"location": "path", "required": True, "type": "string"},
        },
        "response": {"$ref": "ListReleaseSummariesResponse"},
    },
    "schemas": {
        "ListReleaseSummariesResponse": {
            "id": "ListReleaseSummariesResponse",
            "type": "object",
            "properties": {"releases": {"type": "array", "items": {"$ref": "ReleaseSummary"}}},
        },
        "ReleaseSummary": {
            "id": "ReleaseSummary",
            "type": "object",
            "properties": {
                "track": {"type": "string"},
                "releaseName": {"type": "string"},
                "releaseLifecycleState": {
                    "type": "string",
                    "enum": [
                        "RELEASE_LIFECYCLE_STATE_UNSPECIFIED",
                        "RELEASE_LIFECYCLE_STATE_DRAFT",
                        "RELEASE_LIFECYCLE_STATE_NOT_SENT_FOR_REVIEW",
                        "RELEASE_LIFECYCLE_STATE_IN_REVIEW",
                        "RELEASE_LIFECYCLE_STATE_APPROVED_NOT_PUBLISHED",
                        "RELEASE_LIFECYCLE_STATE_NOT_APPROVED",
                        "RELEASE_LIFECYCLE_STATE_PUBLISHED",
                    ],
                },
                "activeArtifacts": {"type": "array", "items": {"$ref": "ArtifactSummary"}},
            },
        },
        "ArtifactSummary": {
            "id": "ArtifactSummary",
            "type": "object",
            "properties": {"versionCode": {"type": "integer", "format": "int32"}},
        },
    },
}

# googleapis.com's error body (not part of any discovery document).
GOOGLE_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {"type": "string", "minLength": 1},
                "status": {"enum": GRPC_STATUSES},
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["message", "domain", "reason"],
                        "additionalProperties": False,
                        "properties": {
                            "message": {"type": "string"},
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                            "location": {"type": "string"},
                            "locationType": {"type": "string"},
                        },
                    },
                },
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["@type"],
                        "properties": {"@type": {"type": "string"}},
                    },
                },
            },
        }
    },
}
# Google's OAuth 2.0 token endpoint (RFC 6749 5.1 / 5.2 as Google sends them).
OAUTH_TOKEN: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "expires_in", "token_type"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1},
        "expires_in": {"type": "integer", "minimum": 1, "maximum": 3600},
        "token_type": {"const": "Bearer"},
        "scope": {"type": "string"},
    },
}
OAUTH_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "enum": [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "rate_limit_exceeded",
                "temporarily_unavailable",
                "internal_failure",
            ]
        },
        "error_description": {"type": "string"},
    },
}


@cache
def discovery(name: str) -> dict[str, Any]:
    return json.loads((SPECS / name).read_text())


@cache
def androidpublisher() -> dict[str, Any]:
    """The androidpublisher description with the reference's known gaps filled (on a copy)."""
    document = copy.deepcopy(discovery(ANDROIDPUBLISHER))
    edits = document["resources"]["edits"]["methods"]
    edits["commit"]["parameters"].update(copy.deepcopy(REFERENCE_GAPS["commit_parameters"]))
    applications = document["resources"].setdefault("applications", {})
    tracks = applications.setdefault("resources", {}).setdefault("tracks", {})
    releases = tracks.setdefault("resources", {}).setdefault("releases", {})
    releases.setdefault("methods", {})["list"] = copy.deepcopy(REFERENCE_GAPS["releases_list"])
    document["schemas"].update(copy.deepcopy(REFERENCE_GAPS["schemas"]))
    return document


@cache
def reporting() -> dict[str, Any]:
    return discovery(REPORTING)


# -- discovery schema -> JSON Schema -----------------------------------------------------------


def to_json_schema(document: dict[str, Any], schema: str, *, strict: bool = True) -> dict[str, Any]:
    """A draft 2020-12 JSON Schema for `document["schemas"][schema]`, every schema in $defs."""
    if schema not in document["schemas"]:
        raise KeyError(f"{schema} is not a schema of {document.get('id')}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/$defs/{schema}",
        "$defs": {name: _convert(entry, strict) for name, entry in document["schemas"].items()},
    }


def _convert(node: dict[str, Any], strict: bool) -> dict[str, Any]:
    if "$ref" in node:
        return {"$ref": f"#/$defs/{node['$ref']}"}
    kind, fmt = node.get("type"), node.get("format")
    out: dict[str, Any]
    if kind == "object" or "properties" in node:
        out = {
            "type": "object",
            "properties": {k: _convert(v, strict) for k, v in node.get("properties", {}).items()},
        }
        if "additionalProperties" in node:
            out["additionalProperties"] = _convert(node["additionalProperties"], strict)
        elif strict:
            out["additionalProperties"] = False
    elif kind == "array":
        out = {"type": "array", "items": _convert(node.get("items", {"type": "any"}), strict)}
    elif kind == "string":
        out = {"type": "string"}
        if fmt in ("int64", "uint64"):
            out["pattern"] = INT64_PATTERN
        elif fmt == "google-duration":
            out["pattern"] = r"^-?[0-9]+(\.[0-9]{1,9})?s$"
        elif fmt == "google-datetime":
            out["format"] = "date-time"
        elif fmt == "byte":
            out["pattern"] = r"^[A-Za-z0-9+/_-]*={0,2}$"
    elif kind == "integer":
        out = {"type": "integer"}
        if fmt == "int32":
            out |= {"minimum": -(2**31), "maximum": 2**31 - 1}
        elif fmt == "uint32":
            out |= {"minimum": 0, "maximum": 2**32 - 1}
    elif kind == "number":
        out = {"type": "number"}
    elif kind == "boolean":
        out = {"type": "boolean"}
    else:  # "any", or untyped
        out = {}
    if "enum" in node:
        out["enum"] = list(node["enum"])
    return out


_VALIDATORS: dict[tuple[int, str, bool], tuple[dict[str, Any], Draft202012Validator]] = {}


def body_errors(
    document: dict[str, Any], schema: str, body: Any, *, strict: bool = True
) -> list[str]:
    """Why `body` is not a valid `schema` of `document` ([] when it is)."""
    key = (id(document), schema, strict)
    if key not in _VALIDATORS:
        validator = Draft202012Validator(
            to_json_schema(document, schema, strict=strict),
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        _VALIDATORS[key] = (document, validator)  # the document is kept alive with its id
    return [_describe(e) for e in _VALIDATORS[key][1].iter_errors(body)]


def schema_errors(schema: dict[str, Any], body: Any) -> list[str]:
    """Why `body` does not fit a plain JSON Schema such as GOOGLE_ERROR or OAUTH_TOKEN."""
    return [_describe(e) for e in Draft202012Validator(schema).iter_errors(body)]


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message[:200]}"


# -- methods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    id: str
    http_method: str
    path: str  # flatPath, relative to the document's rootUrl
    upload_path: str | None  # the simple media upload path, when the method takes uploads
    request: str | None
    response: str | None
    parameters: dict[str, Any]

    def matches(self, http_method: str, path: str) -> bool:
        if http_method.upper() != self.http_method:
            return False
        templates = [self.path] + ([self.upload_path] if self.upload_path else [])
        return any(_template(t).match(path.lstrip("/")) for t in templates)


@cache
def _template(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{\+?[A-Za-z0-9_]+\\\}", "[^/]+", re.escape(path.lstrip("/")))
    return re.compile(f"^{pattern}$")


def methods(document: dict[str, Any]) -> list[Method]:
    found: list[Method] = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                upload = method.get("mediaUpload", {}).get("protocols", {}).get("simple", {})
                found.append(
                    Method(
                        id=method["id"],
                        http_method=method["httpMethod"],
                        path=method.get("flatPath") or method["path"],
                        upload_path=upload.get("path"),
                        request=(method.get("request") or {}).get("$ref"),
                        response=(method.get("response") or {}).get("$ref"),
                        parameters=method.get("parameters", {}),
                    )
                )
            walk(resource.get("resources", {}))

    walk(document.get("resources", {}))
    return found


def find_method(document: dict[str, Any], http_method: str, path: str) -> Method:
    """The method a request goes to; `path` is relative to the rootUrl (the upload path keeps
    its leading /upload/)."""
    candidates = [m for m in methods(document) if m.matches(http_method, path)]
    # A literal suffix (":commit") beats a bare parameter that would swallow it.
    candidates.sort(key=lambda m: -len(m.path.replace("{", "").replace("}", "")))
    if not candidates:
        raise LookupError(f"no method of {document['id']} for {http_method} {path}")
    return candidates[0]


def query_errors(
    document: dict[str, Any], method: Method, query: Iterable[tuple[str, str]]
) -> list[str]:
    """Query parameters the method (or the API's global parameters) do not define, or whose
    value does not fit their type / enum. `uploadType` is accepted on upload paths."""
    known = {**document.get("parameters", {}), **method.parameters}
    if method.upload_path:
        known.setdefault(
            "uploadType", {"type": "string", "enum": ["media", "multipart", "resumable"]}
        )
    problems = []
    for name, value in query:
        spec = known.get(name)
        if spec is None or spec.get("location", "query") != "query":
            problems.append(f"unknown query parameter {name}")
            continue
        if spec.get("type") == "boolean" and value not in ("true", "false"):
            problems.append(f"{name}={value!r} is not a boolean")
        if "enum" in spec and value not in spec["enum"]:
            problems.append(f"{name}={value!r} is not one of {spec['enum']}")
    return problems


def exchange_errors(
    document: dict[str, Any], response: httpx.Response, *, strip: str, check_request: bool = True
) -> list[str]:
    """Everything about one real exchange that the description does not allow: the query, a
    JSON request body against the method's request schema, the answer against its response
    schema (2xx) or Google's error shape (4xx/5xx). `strip` is the sandbox's path prefix before
    the rootUrl-relative path ("/google/" for androidpublisher, "/google/playdeveloperreporting/"
    for reporting)."""
    request = response.request
    raw_path = request.url.path
    if not raw_path.startswith(strip):
        return [f"{raw_path} does not start with {strip}"]
    path = raw_path[len(strip) :]
    if strip.endswith("/") and path.startswith("upload/"):
        path = "/" + path
    method = find_method(document, request.method, path)
    problems = []
    if check_request:
        problems += query_errors(document, method, parse_qsl(request.url.query.decode()))
    content = request.content
    json_request = "json" in request.headers.get("content-type", "")
    if check_request and method.request and content and json_request:
        problems += [
            f"request: {p}" for p in body_errors(document, method.request, json.loads(content))
        ]
    if response.is_success:
        if method.response:
            problems += [
                f"response: {p}" for p in body_errors(document, method.response, response.json())
            ]
        elif response.content:
            problems.append("response: the method answers with an empty body")
    else:
        problems += [f"error: {p}" for p in schema_errors(GOOGLE_ERROR, response.json())]
    return [f"{method.id}: {p}" for p in problems]
