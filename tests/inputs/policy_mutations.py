"""The shipped policy file with one thing wrong: a key dropped, a value of the wrong type, a
negative, zero or huge duration, a time zone that is none, stages out of order or out of range,
a percentage past 100 %, an unknown key, a key written twice, or text that is not YAML."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from .catalogue import ROOT

SHIPPED = ROOT / "policy" / "release-policy.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(SHIPPED.read_text())
DURATION = re.compile(r"^\d+(\.\d+)?(ms|s|m|h|d)$")
Path_ = tuple[str | int, ...]

WRONG: list[Any] = [
    None,
    "",
    " ",
    "abc",
    "x" * 10_000,
    "ünïcødé ✓ 漢字 🚀",
    "\x00",
    -1,
    0,
    1.5,
    2**70,
    math.inf,
    math.nan,
    True,
    [],
    ["x"],
    {},
    {"a": 1},
]
DURATIONS: list[Any] = [
    "-5m",
    "0s",
    "0",
    0,
    -1,
    "31d",
    "1000000000d",
    1e300,
    "5 minutes",
    "1h-",
    "m",
]
ZONES: list[Any] = [
    "Mars/Olympus",
    "",
    "../../etc/passwd",
    "UTC\x00",
    "Australia/sydney",
    5,
    "A" * 300,
]
FRACTIONS: list[Any] = [-0.1, 0, 1.5, 2, 100, math.nan, math.inf, "50%", "0.5"]
STAGES: list[Any] = [
    [],
    [1.0, 0.5],
    [0.2, 0.2, 1.0],
    [0.05, 0.2, 0.5],
    [0.0, 1.0],
    [-0.5, 1.0],
    [0.5, 1.5],
    [5, 20, 50, 100],
    ["5%", 1.0],
    [None, 1.0],
    [0.03, 1.0],
]


def paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key and list item of the document, depth first."""
    found: list[Path_] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found += paths(item, (*prefix, index))
    return found


PATHS = paths(DOCUMENT)


def get(document: Any, path: Path_) -> Any:
    for part in path:
        document = document[part]
    return document


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


MAPPINGS = [()] + [p for p in PATHS if isinstance(get(DOCUMENT, p), dict)]


@dataclass(frozen=True)
class PolicyMutation:
    kind: str  # drop | set | unknown | duplicate | yaml
    path: Path_
    value: Any = None

    def document(self) -> Any:
        document = _copy(DOCUMENT)
        if not self.path:
            return self.value if self.kind == "set" else document
        parent = get(document, self.path[:-1])
        last = self.path[-1]
        if self.kind == "drop":
            del parent[last]
        elif self.kind == "set":
            parent[last] = _copy(self.value)
        elif self.kind == "unknown":
            get(document, self.path)[self.value] = 1
        return document

    def text(self) -> str:
        text = dump(self.document())
        if self.kind == "duplicate":  # the key written again, last: YAML would let it win
            lines = text.splitlines(keepends=True)
            line = lines[self.value]
            return "".join(lines[: self.value + 1] + [line] + lines[self.value + 1 :])
        if self.kind == "yaml":
            broken, position = self.value
            return text[:position] + broken + text[position:]
        return text

    def write(self, folder: Path) -> Path:
        path = folder / "release-policy.yaml"
        path.write_text(self.text(), encoding="utf-8")
        return path


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def _values_for(path: Path_) -> list[Any]:
    current = get(DOCUMENT, path)
    leaf = path[-1]
    if leaf == "stages":
        return STAGES
    if leaf == "timezone":
        return ZONES
    if isinstance(current, str) and DURATION.match(current):
        return DURATIONS
    if isinstance(current, float) and 0 <= current <= 1:
        return FRACTIONS
    return WRONG


BROKEN_YAML = [
    "\t",
    "key: [unclosed",
    ": :",
    "&a x",
    "*a",
    "{",
    "'",
    "- item\n",
    "\x00",
    "%YAML 9\n",
]


@st.composite
def policy_mutations(draw: st.DrawFn) -> PolicyMutation:
    kind = draw(st.sampled_from(["drop", "set", "set", "set", "unknown", "duplicate", "yaml"]))
    if kind == "drop":
        return PolicyMutation(
            "drop", draw(st.sampled_from([p for p in PATHS if not isinstance(p[-1], int)]))
        )
    if kind == "set":
        path = draw(st.sampled_from(PATHS))
        return PolicyMutation("set", path, draw(st.sampled_from(_values_for(path))))
    if kind == "unknown":
        name = draw(st.sampled_from(["colour", "stage", "timezon", "Services", "2"]))
        return PolicyMutation("unknown", draw(st.sampled_from(MAPPINGS)), name)
    text = dump(DOCUMENT)
    if kind == "duplicate":
        keyed = [i for i, line in enumerate(text.splitlines()) if re.match(r"^\s*[\w-]+:", line)]
        return PolicyMutation("duplicate", (), draw(st.sampled_from(keyed)))
    return PolicyMutation(
        "yaml", (), (draw(st.sampled_from(BROKEN_YAML)), draw(st.integers(0, len(text))))
    )
