"""`python -m sandbox` serves in the foreground, loads a seed, and stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.sandbox.helpers import REPO

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_cli_serves_a_seeded_sandbox(tmp_path: Path) -> None:
    seed = {
        "github": {"repos": [{"repo": REPO, "via": "rulesets"}]},
        "cloudflare": {
            "accounts": [{"id": "acct", "scripts": [{"name": "svc", "secrets": ["K"]}]}]
        },
    }
    (tmp_path / "seed.json").write_text(json.dumps(seed))
    port = free_port()
    env = {**os.environ, "SANDBOX_GH": "cli-token"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            str(port),
            "--seed",
            str(tmp_path / "seed.json"),
            "--tokens-env",
            "github=SANDBOX_GH",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{base}/_sandbox/health", timeout=0.5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        rules = httpx.get(
            f"{base}/github/repos/{REPO}/rules/branches/main",
            headers={"Authorization": "Bearer cli-token"},
        )
        assert rules.status_code == 200 and rules.json()[0]["type"] == "pull_request"
        assert httpx.get(f"{base}/workers/svc/health").json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=10)[0].decode()
    assert process.returncode == 0, output
    assert "cli-token" not in output
