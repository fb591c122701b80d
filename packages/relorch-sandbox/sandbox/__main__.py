"""`python -m sandbox --host 127.0.0.1 --port 8790 [--seed seed.json] [--tokens-env ...]`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from sandbox.server import serve_forever
from sandbox.state import PROVIDERS


def tokens_from_env(pairs: list[str]) -> dict[str, str]:
    """`github=GITHUB_TOKEN` -> the value of $GITHUB_TOKEN, so tokens never sit in argv."""
    tokens: dict[str, str] = {}
    for pair in pairs:
        provider, _, variable = pair.partition("=")
        if provider not in PROVIDERS or not variable:
            expected = " or ".join(f"{p}=VAR" for p in PROVIDERS)
            raise SystemExit(f"--tokens-env expects {expected}, got {pair!r}")
        value = os.environ.get(variable)
        if not value:
            raise SystemExit(f"--tokens-env: environment variable {variable} is not set")
        tokens[provider] = value
    return tokens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--seed", type=Path, help="JSON seed document to load at start-up")
    parser.add_argument(
        "--tokens-env",
        nargs="*",
        default=[],
        metavar="PROVIDER=VAR",
        help=f"accept only the token in $VAR for PROVIDER ({', '.join(PROVIDERS)})",
    )
    args = parser.parse_args(argv)
    seed = json.loads(args.seed.read_text()) if args.seed else None
    # uvicorn shuts down gracefully on Ctrl-C, then re-raises the interrupt: a clean exit here.
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(args.host, args.port, tokens=tokens_from_env(args.tokens_env), seed=seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
