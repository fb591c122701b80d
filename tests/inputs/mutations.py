"""Bad parameter sets: a valid one with one thing wrong (a wrong type, None, an empty, blank,
huge or odd unicode string, a value just past a bound, a field missing, an unknown field)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

HUGE = "x" * 100_000
ODD_VALUES: list[Any] = [
    None,
    "",
    " ",
    "\t\n",
    HUGE,
    "ünïcødé ✓ 漢字 🚀",
    "\x00",
    "\u202eevil",
    "0",
    "-1",
    "1.2.3.4",
    "v2.4.1",
    "2.4.1-beta",
    "２.４",  # full-width digits: \d and isdigit() take them, Apple and Play do not
    "٣",
    "²",  # a digit to isdigit(), no number to int()
    "１２",
    "not-a-sha",
    "G" * 40,
    0,
    -1,
    2**63,
    1.5,
    math.inf,
    math.nan,
    True,
    False,
    [],
    ["x"],
    {},
    {"a": 1},
]


@dataclass(frozen=True)
class Mutation:
    kind: str  # wrong | bound | missing | extra
    field: str
    value: Any = None

    def apply(self, params: dict[str, Any]) -> dict[str, Any]:
        changed = dict(params)
        if self.kind == "missing":
            changed.pop(self.field, None)
        else:
            changed[self.field] = self.value
        return changed


def bounds(model: type[BaseModel], name: str) -> list[Any]:
    """Values on and just past each bound the field declares (the model says which are right)."""
    values: list[Any] = []
    for item in model.model_fields[name].metadata:  # annotated_types' Gt, Ge, Le, MinLen, MaxLen
        if (gt := getattr(item, "gt", None)) is not None:
            values += [gt, gt + 1]
        elif (ge := getattr(item, "ge", None)) is not None:
            values += [ge - 1, ge]
        elif (le := getattr(item, "le", None)) is not None:
            values += [le, le + 1]
        elif (least := getattr(item, "min_length", None)) is not None:
            values += ["a" * max(least - 1, 0), "a" * least]
            values += [" " * least, " " + "b" * max(least - 1, 0) + " "]
        elif (most := getattr(item, "max_length", None)) is not None:
            values += ["a" * most, "a" * (most + 1)]
    return values


UNKNOWN_NAMES = st.one_of(
    st.sampled_from(["colour", "sigificant", "versionCode", "dry_run", "", " ", "$ref"]),
    st.text(min_size=1, max_size=20),
)


@st.composite
def mutations(draw: st.DrawFn, model: type[BaseModel], params: dict[str, Any]) -> Mutation:
    fields = list(model.model_fields)
    kinds = ["extra"] + (["wrong", "bound", "missing"] if fields else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "extra":
        typo = [f"{f}s" for f in fields] + [f.upper() for f in fields]
        name = draw(st.one_of(UNKNOWN_NAMES, st.sampled_from(typo or ["x"])))
        name = name if name not in fields else f"{name}_"
        return Mutation("extra", name, draw(st.sampled_from(ODD_VALUES[:6] + [1, "blue"])))
    name = draw(st.sampled_from(fields))
    if kind == "missing":
        return Mutation("missing", name)
    if kind == "bound" and bounds(model, name):
        return Mutation("bound", name, draw(st.sampled_from(bounds(model, name))))
    return Mutation("wrong", name, draw(st.sampled_from(ODD_VALUES)))
