"""relctl against a Prefect server that asks for basic auth (`PREFECT_SERVER_API_AUTH_STRING`):
refused with a clear message and exit 2 without `PREFECT_API_AUTH_STRING`, served with it; the
secret itself is never printed."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from relctl.trigger import auth_headers

pytestmark = [pytest.mark.scenario]
AUTH = "ci-bot:correct-horse-battery"


def test_auth_headers_are_what_prefects_client_sends() -> None:
    assert auth_headers({}) == {}
    assert auth_headers({"PREFECT_API_AUTH_STRING": "u:p"}) == {"Authorization": "Basic dTpw"}
    assert auth_headers({"PREFECT_API_KEY": "pnu_x", "PREFECT_API_AUTH_STRING": "u:p"}) == {
        "Authorization": "Bearer pnu_x"
    }


def test_a_server_with_basic_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect.settings import PREFECT_API_AUTH_STRING, temporary_settings

    from flows.android_release import android_release
    from relctl.cli import main
    from tests.scenarios.real_server import real_server

    with real_server(tmp_path, {"PREFECT_SERVER_API_AUTH_STRING": AUTH}) as server:
        name = f"auth-{uuid.uuid4().hex[:6]}"
        with temporary_settings({PREFECT_API_AUTH_STRING: AUTH}):

            async def register() -> None:
                deployment = await android_release.ato_deployment(name=name)  # type: ignore[attr-defined]
                await deployment.apply()

            asyncio.run(register())
        monkeypatch.setenv("PREFECT_API_URL", server.url)
        monkeypatch.delenv("PREFECT_API_AUTH_STRING", raising=False)
        monkeypatch.delenv("PREFECT_API_KEY", raising=False)
        params = json.dumps({"app": "wallet", "version_code": 101, "significant": False})
        argv = ["trigger", f"android-release/{name}", "--params", params]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "refused us (401)" in err and "PREFECT_API_AUTH_STRING" in err
        monkeypatch.setenv("PREFECT_API_AUTH_STRING", AUTH)
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert json.loads(out.splitlines()[0])["created"] is True
        assert "correct-horse" not in out + err
