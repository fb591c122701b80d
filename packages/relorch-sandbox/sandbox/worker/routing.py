"""Which version of a Worker serves a request: overrides, version affinity, then percentages."""

from __future__ import annotations

import hashlib
import random
import re

from sandbox.cloudflare.model import Deployment

# One member of an RFC 8941 dictionary: name="value" (the override header's syntax).
_MEMBER = re.compile(r'\s*([a-z0-9_*][a-z0-9_\-.*]*)\s*=\s*"([^"]*)"\s*')


def parse_overrides(header: str | None) -> dict[str, str]:
    """`Cloudflare-Workers-Version-Overrides: my-worker="<uuid>"` -> {"my-worker": "<uuid>"}."""
    if not header:
        return {}
    out: dict[str, str] = {}
    for member in header.split(","):
        match = _MEMBER.fullmatch(member)
        if match:
            out[match.group(1)] = match.group(2)
    return out


def pick_version(
    script_name: str,
    live: Deployment,
    rng: random.Random,
    *,
    overrides: str | None = None,
    affinity_key: str | None = None,
) -> str:
    """The serving version id.

    An override naming a version of the current deployment wins (even at 0%); otherwise it is
    silently ignored, as Cloudflare does. A version key maps to a fixed point of the split.
    """
    wanted = parse_overrides(overrides).get(script_name)
    if wanted and wanted in {vid for vid, _ in live.versions}:
        return wanted
    if affinity_key:
        point = int(hashlib.sha256(affinity_key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF * 100
    else:
        point = rng.random() * 100
    cumulative = 0.0
    for vid, pct in live.versions:
        cumulative += pct
        if point < cumulative:
            return vid
    # Rounding at the top end: the last version with traffic takes it.
    return next(vid for vid, pct in reversed(live.versions) if pct > 0)
