"""The request log: what every provider call looked like, with credentials and secrets removed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

REDACTED = "[redacted]"
# Headers that carry credentials for any of the providers (GitHub, Cloudflare, legacy CF keys).
SENSITIVE_HEADERS = frozenset(
    {"authorization", "x-auth-key", "x-auth-email", "x-auth-user-service-key", "cookie"}
)
# Fields of a Cloudflare secret binding that hold the secret itself.
SECRET_FIELDS = ("text", "key_base64", "key_jwk")
# Form fields that are credentials (OAuth token requests: the signed JWT assertion and friends).
SECRET_FORM_FIELDS = frozenset(
    {"assertion", "client_secret", "refresh_token", "password", "code", "access_token"}
)
MAX_TEXT_BODY = 2000


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = REDACTED if key in SENSITIVE_HEADERS else value
    return out


def redact_json(value: Any) -> Any:
    """Copy a JSON value with secret binding values removed (Cloudflare secret PUT, bindings)."""
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if not isinstance(value, dict):
        return value
    is_secret = str(value.get("type", "")).startswith("secret")
    return {
        key: REDACTED if is_secret and key in SECRET_FIELDS else redact_json(item)
        for key, item in value.items()
    }


def summarise_body(content_type: str, body: bytes) -> Any:
    """What the log keeps of a request body: JSON (redacted), a note for multipart, short text."""
    if not body:
        return None
    if "json" in content_type:
        try:
            return redact_json(json.loads(body))
        except ValueError:
            pass
    if content_type.startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {k: REDACTED if k in SECRET_FORM_FIELDS else v for k, v in pairs}
    if content_type.startswith("multipart/"):
        # The handler replaces this with a per-part summary once it has parsed the form.
        return {"multipart": True, "size": len(body)}
    text = body[:MAX_TEXT_BODY].decode("utf-8", errors="replace")
    return {"text": text, "size": len(body)}


@dataclass
class LogEntry:
    id: int
    time: str
    target: str
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    status: int
    fault: dict[str, Any] | None
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def query_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Query parameters as a dict; a repeated name keeps all its values in a list."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            prior = out[key]
            out[key] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            out[key] = value
    return out


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[LogEntry] = []

    def clear(self) -> None:
        self._entries.clear()

    def append(self, entry_fields: Mapping[str, Any]) -> LogEntry:
        entry = LogEntry(id=len(self._entries) + 1, **entry_fields)
        self._entries.append(entry)
        return entry

    def entries(self, target: str | None = None) -> list[LogEntry]:
        return [e for e in self._entries if target is None or e.target == target]
