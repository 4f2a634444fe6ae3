"""Start-up as a user sees it: bad settings stop it clearly; `uvicorn my_app:app` works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from servers import start_server

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "full_example.py")],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PYWRY_SERVER__PORT": "eighty"}, "PYWRY_SERVER__PORT='eighty'"),
        ({"PYWRY_DEPLOY__REDIS_POOL_SIZE": "500"}, "PYWRY_DEPLOY__REDIS_POOL_SIZE"),
        ({"PYWRY_DEPLOY__STATE_BACKEND": "memroy"}, "Did you mean 'memory'?"),
    ],
)
def test_bad_setting_stops_startup_naming_the_variable(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = _run(tmp_path, **env)
    assert result.returncode != 0
    assert expected in result.stderr


def test_uvicorn_import_string_serves_the_app(tmp_path: Path) -> None:
    server = start_server(
        EXAMPLES / "quickstart.py",
        tmp_path,
        command=[
            sys.executable,
            "-m",
            "uvicorn",
            "quickstart:app",
            "--app-dir",
            str(EXAMPLES),
            "--port",
            "{port}",
        ],
    )
    try:
        home = httpx.get(server.base_url + "/", timeout=10)
        assert home.status_code == 200
        assert "Quarterly Revenue" in home.text
    finally:
        server.stop()
