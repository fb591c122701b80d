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
    loader = _PolicyLoader(text)
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
