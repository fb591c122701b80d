"""Reading the policy file: bounded, UTF-8, YAML without anchors, `${NAME}` from the environment.
The model and its checks are the core's (procedure.policy.parse_policy); this is the I/O."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from procedure.policy import Policy, PolicyError, parse_policy

MAX_POLICY_BYTES = 1_000_000  # the shipped policy is ~6 kB


class _PolicyLoader(yaml.SafeLoader):
    """safe_load without anchors and aliases: a policy has no use for them, and a few nested
    aliases (a "billion laughs" document) expand into more data than any machine can walk."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            kind = "aliases (*" if isinstance(event, yaml.AliasEvent) else "anchors (&"
            key = f" (under key {index.value!r})" if isinstance(index, yaml.ScalarNode) else ""
            raise yaml.composer.ComposerError(
                None, None, f"{kind}{anchor}) are not allowed in the policy{key}", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A key written twice is refused: YAML would silently keep the last one (a second
        `stage_soak: 1s` further down would quietly win over the `24h` a reviewer read)."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # an unhashable key: the constructor below refuses it
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is written twice (first on line {seen[key]}): YAML would "
                    "keep only the last",
                    key_node.start_mark,
                )
            seen.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


def load_policy(
    path: str | Path, profile: str | None = None, env: Mapping[str, str] | None = None
) -> Policy:
    """The policy in `path` (with `profile` merged over it); `${NAME}` references are read from
    `env`, the process environment by default. Errors name the file and the bad key."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_POLICY_BYTES + 1)  # bounded: a device or a huge file is no policy
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the policy file ({error.strerror})") from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"{path}: larger than {MAX_POLICY_BYTES} bytes: not a policy")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PolicyError(f"{path}: not UTF-8 text (byte {error.start})") from None
    try:
        # the reader refuses control characters (a NUL) as it is made: inside the try too
        loader = _PolicyLoader(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise PolicyError(
            f"{path}: not valid YAML: line {line}: character U+{error.character:04X} is not allowed"
        ) from None
    loader.name = str(path)  # YAML errors then say which file
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML: {error}") from None
    except RecursionError:
        raise PolicyError(f"{path}: nested too deeply to be a policy") from None
    finally:
        loader.dispose()
    return parse_policy(
        document, source=str(path), profile=profile, env=os.environ if env is None else env
    )
