"""Reading a Worker upload: the multipart `metadata` part plus one part per module."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from sandbox.cloudflare.model import Module, digest, secret_digest
from sandbox.errors import CF_BAD_CONTENT_TYPE, CF_VALIDATION, CloudflareError
from sandbox.httputil import note_log_body
from sandbox.requestlog import redact_json

# Cloudflare cuts `workers/message` (of a version and of a deployment) to 100 bytes without an
# error (API schema: "Human-readable message ... Truncated to 100 bytes.").
MAX_MESSAGE_BYTES = 100


def truncate_message(message: object) -> str | None:
    """A message as Cloudflare keeps it: at most 100 bytes, never a split UTF-8 character."""
    if not message:
        return None
    return str(message).encode()[:MAX_MESSAGE_BYTES].decode(errors="ignore")


@dataclass
class Upload:
    metadata: dict[str, Any]
    main_module: str | None
    modules: list[Module]
    secrets: dict[str, str] = field(default_factory=dict)  # name -> digest of the value
    bindings: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None
    tag: str | None = None

    @property
    def compatibility_date(self) -> str | None:
        value = self.metadata.get("compatibility_date")
        return value if isinstance(value, str) else None


def invalid(message: str) -> CloudflareError:
    return CloudflareError(400, CF_VALIDATION, message)


def _split_bindings(raw: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Secret bindings become digests (the sandbox never keeps a value); the rest are kept."""
    if raw is None:
        return [], {}
    if not isinstance(raw, list) or not all(isinstance(b, dict) for b in raw):
        raise invalid("metadata.bindings must be a list of objects")
    plain, secrets = [], {}
    for binding in raw:
        if binding.get("type") in ("secret_text", "secret_key"):
            secrets[str(binding.get("name"))] = secret_digest(binding)
        else:
            plain.append(binding)
    return plain, secrets


async def parse_upload(request: Request, *, modules_only: bool) -> Upload:
    """Parse and check an upload; `modules_only` for the versions API (ES modules only)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise CloudflareError(400, CF_BAD_CONTENT_TYPE, "Unsupported or unexpected Content Type")
    form = await request.form()
    metadata: Any = None
    modules: list[Module] = []
    for name, part in form.multi_items():
        if name == "metadata":
            raw = await part.read() if isinstance(part, UploadFile) else part
            try:
                metadata = json.loads(raw)
            except ValueError as exc:
                raise invalid("metadata is not valid JSON") from exc
        elif isinstance(part, UploadFile):
            content = await part.read()
            kind = part.content_type or "application/octet-stream"
            modules.append(Module(name, kind, len(content), digest(content)))
        else:  # a module sent as a plain field (no filename)
            modules.append(Module(name, "text/plain", len(part.encode()), digest(part)))
    # Noted before validating, so a refused upload is still logged part by part.
    note_log_body(
        request,
        {
            "metadata": redact_json(metadata),
            "parts": [
                {"name": m.name, "content_type": m.content_type, "size": m.size} for m in modules
            ],
        },
    )
    if not isinstance(metadata, dict):
        raise invalid("Missing or invalid 'metadata' part")
    main_module = metadata.get("main_module") or request.headers.get("cf-worker-main-module-part")
    body_part = metadata.get("body_part") or request.headers.get("cf-worker-body-part")
    if modules_only and not main_module:
        raise invalid("main_module is required: versions can only be uploaded as ES modules")
    entry = main_module or body_part
    if not entry:
        raise invalid("metadata must name the entry part in main_module or body_part")
    if entry not in {m.name for m in modules}:
        raise invalid(f"No such module: the upload has no part named {entry!r}")
    bindings, secrets = _split_bindings(metadata.get("bindings"))
    annotations = metadata.get("annotations") or {}
    message = annotations.get("workers/message") if isinstance(annotations, dict) else None
    tag = annotations.get("workers/tag") if isinstance(annotations, dict) else None
    return Upload(
        metadata=metadata,
        main_module=main_module,
        modules=modules,
        secrets=secrets,
        bindings=bindings,
        message=truncate_message(message),
        tag=str(tag) if tag else None,
    )
