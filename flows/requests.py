"""A flow's parameters are its request model's fields, declared once.

`@takes(Model)` gives the flow the model's fields as its keyword parameters. Prefect reads them
from the signature — the deployment's parameter schema, so the UI form and the API's
`enforce_parameter_schema` — and the fields' descriptions become the form's help text. The body
receives one validated model; a bad value fails the run naming the field before any provider is
called. `relctl` builds the same models, so the form, the API, the CLI and the validation share
one definition.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from procedure.request import parse_request
from tasks.settings import load_credential_blocks, policy_choice

__all__ = ["takes"]

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
PolicyNames = Literal["services", "android_apps", "ios_apps", "mobile_apps"]


def takes(
    model: type[M], *, choices: Mapping[str, PolicyNames] | None = None
) -> Callable[[Callable[[M], Awaitable[R]]], Callable[..., Awaitable[R]]]:
    """`choices` maps a field to the policy names it must be one of: an enum in the form."""
    choices = dict(choices or {})
    unknown = set(choices) - set(model.model_fields)
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")

    def wrap(body: Callable[[M], Awaitable[R]]) -> Callable[..., Awaitable[R]]:
        signature = inspect.Signature(
            _parameters(model, choices), return_annotation=inspect.signature(body).return_annotation
        )

        @functools.wraps(body)
        async def flow_entry(*args: Any, **kwargs: Any) -> R:
            request = parse_request(model, signature.bind(*args, **kwargs).arguments)
            await load_credential_blocks()  # what the environment lacks, from Secret blocks
            return await body(request)

        flow_entry.__signature__ = signature  # type: ignore[attr-defined]
        flow_entry.__doc__ = _with_arguments(body.__doc__ or "", model)
        return flow_entry

    return wrap


def _parameters(
    model: type[BaseModel], choices: Mapping[str, PolicyNames]
) -> list[inspect.Parameter]:
    """The fields in order, positional or keyword while the order allows (a required field
    after one with a default can only be a keyword)."""
    parameters: list[inspect.Parameter] = []
    kind: inspect._ParameterKind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    for name, field in model.model_fields.items():
        required = field.is_required()
        if not required:
            default = field.get_default(call_default_factory=True)
        elif parameters and parameters[-1].default is not inspect.Parameter.empty:
            kind = inspect.Parameter.KEYWORD_ONLY
        annotation = policy_choice(choices[name]) if name in choices else field.annotation
        parameters.append(
            inspect.Parameter(
                name,
                kind,
                default=inspect.Parameter.empty if required else default,
                annotation=annotation,
            )
        )
    return parameters


def _with_arguments(doc: str, model: type[BaseModel]) -> str:
    """The body's docstring and a Google-style `Args:` section from the fields' descriptions,
    which is where Prefect takes each parameter's description from."""
    lines = [
        f"    {name}: {' '.join((field.description or '').split())}"
        for name, field in model.model_fields.items()
        if field.description
    ]
    return inspect.cleandoc(doc) + ("\n\nArgs:\n" + "\n".join(lines) if lines else "")
