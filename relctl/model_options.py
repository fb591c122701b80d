"""Command-line options generated from a flow's request model: `--version-code`, `--significant`
/ `--no-significant`, … with the fields' own descriptions as help, and the model's own checks
before the API is called — one definition for the form, the API, the CLI and the validation."""

from __future__ import annotations

import argparse
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["add_model_options", "parameters_from_options"]


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _plain(annotation: Any) -> Any:
    """`int | None` → int; other annotations as they are."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else str
    return annotation


def add_model_options(
    parser: argparse.ArgumentParser, model: type[BaseModel], *, hidden: frozenset[str] = frozenset()
) -> None:
    """One option per field of `model` (but `hidden`, which the runs set themselves)."""
    for name, field in model.model_fields.items():
        if name in hidden:
            continue
        kind = _plain(field.annotation)
        help_text = field.description or ""
        options: dict[str, Any] = {"dest": name, "default": None, "help": help_text}
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif get_origin(kind) is Literal:
            options["choices"] = list(get_args(kind))
            options["help"] = f"{help_text} (default: {field.default})"
        else:
            options["type"] = kind if kind in (int, float) else str
            options["required"] = field.is_required()
        parser.add_argument(_option(name), **options)


def parameters_from_options(model: type[BaseModel], args: argparse.Namespace) -> dict[str, Any]:
    """The given options as the flow's parameters, checked by the model (RequestError naming the
    field otherwise) and without the defaults, so the run shows what the caller said."""
    from procedure.request import parse_request

    given = {
        name: getattr(args, name)
        for name in model.model_fields
        if getattr(args, name, None) is not None
    }
    return parse_request(model, given).model_dump(exclude_defaults=True)
