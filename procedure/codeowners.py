"""CODEOWNERS as GitHub reads it: the last matching pattern names a file's owners.

Patterns follow gitignore rules as GitHub applies them: `*` within a path segment, `**` across
segments, a leading `/` anchors at the root, a trailing `/` means a directory and everything in
it, a pattern without a slash (other than a trailing one) matches at any depth. A pattern with no
owners makes the file unowned. Owners are `@login`, `@org/team` or an e-mail address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Where GitHub looks, in order; the first file found is the one used.
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True)
class OwnerRule:
    pattern: str
    owners: tuple[str, ...]  # "login", "org/team" (the "@" removed) or an e-mail address
    regex: re.Pattern[str]


def _translate(pattern: str) -> re.Pattern[str]:
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    core = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # A match on a directory covers everything below it; a directory pattern matches only that.
    suffix = "/.*" if directory else "(?:/.*)?"
    return re.compile(f"^{prefix}{core}{suffix}$")


def parse_codeowners(text: str) -> list[OwnerRule]:
    rules = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        pattern, *owners = line.split()
        owners_ = tuple(o.removeprefix("@") for o in owners)
        rules.append(OwnerRule(pattern, owners_, _translate(pattern)))
    return rules


def owners_of(rules: Sequence[OwnerRule], path: str) -> tuple[str, ...]:
    owners: tuple[str, ...] = ()
    for rule in rules:  # the last match wins
        if rule.regex.match(path):
            owners = rule.owners
    return owners


def owned_files(rules: Sequence[OwnerRule], paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each path that has owners → those owners."""
    return {path: owners for path in paths if (owners := owners_of(rules, path))}
