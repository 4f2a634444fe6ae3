"""Start-up as an operator sees it: the app module runs once per worker, and a worker
that cannot start stops the whole server once, with one line and no traceback.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from servers import start_server

from .conftest import COUNTED_APP, PYWRY, ROOT, body_runs, clean_env, parent_of

WORKERS = 3


def _sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PYWRY_DEPLOY__STATE_BACKEND": "sqlite",
        "PYWRY_DEPLOY__SQLITE_PATH": str(tmp_path / "state" / "ops.db"),
        "PYWRY_SQLITE_KEY": "ops-test-key",
    }


def _markers() -> set[Path]:
    """The files by which the workers of one bare uvicorn report a failure only once."""
    return set(Path(tempfile.gettempdir()).glob("pywry-startup-failed-*"))


def _run(command: list[str], tmp_path: Path, cwd: Path | None = None, **env: str):
    started = time.monotonic()
    before = _markers()
    result = subprocess.run(
        command,
        cwd=cwd or tmp_path,
        env=clean_env(PYWRY_TEST_BODY_LOG=str(tmp_path / "body.log"), **env),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    for marker in _markers() - before:
        marker.unlink(missing_ok=True)
    return result, time.monotonic() - started


def test_module_body_runs_once_per_worker(tmp_path: Path) -> None:
    log = tmp_path / "body.log"
    server = start_server(
        COUNTED_APP,
        tmp_path,
        env={
            **_sqlite_env(tmp_path),
            "PYWRY_SERVER__WORKERS": str(WORKERS),
            "PYWRY_TEST_BODY_LOG": str(log),
            "PYWRY_SERVER__API_DOCS": "true",  # the schema is where duplicate routes show
        },
    )
    try:
        deadline = time.monotonic() + 60
        while len(body_runs(log)) < 1 + WORKERS and time.monotonic() < deadline:
            time.sleep(0.1)
        served = set()
        for _ in range(30):
            with httpx.Client(base_url=server.base_url, timeout=10) as client:
                served.add(client.get("/pid").json()["pid"])
        assert httpx.get(server.base_url + "/openapi.json", timeout=10).status_code == 200
        time.sleep(1.0)  # a second run of the body would be logged by now
        runs = body_runs(log)
    finally:
        server.stop()
    print(f"\n[body-runs] workers={WORKERS} runs={runs}")
    assert runs.count((server.proc.pid, "__main__")) == 1
    workers = [(pid, name) for pid, name in runs if pid != server.proc.pid]
    assert len(workers) == WORKERS, runs
    assert {name for _, name in workers} == {"counted_app"}, runs
    assert len({pid for pid, _ in workers}) == WORKERS, runs
    assert served <= {pid for pid, _ in workers}
    assert all(
        parent_of(pid) == server.proc.pid for pid, _ in workers if Path(f"/proc/{pid}").exists()
    )
    assert "Duplicate Operation ID" not in server.log()
    assert "__mp_main__" not in server.log()


def test_memory_with_several_workers_is_refused_in_one_line(tmp_path: Path) -> None:
    result, _ = _run([sys.executable, str(COUNTED_APP)], tmp_path, PYWRY_SERVER__WORKERS="2")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1, result.stderr
    assert "PYWRY_SERVER__WORKERS=2" in lines[0]
    assert "PYWRY_DEPLOY__STATE_BACKEND='memory'" in lines[0]
    assert "PYWRY_DEPLOY__STATE_BACKEND=redis" in lines[0]  # the fix
    assert len(body_runs(tmp_path / "body.log")) == 1  # no worker was started


def test_pywry_serve_stops_once_on_a_bad_setting_with_status_78(tmp_path: Path) -> None:
    result, _ = _run(
        [*PYWRY, "serve", str(COUNTED_APP), "--workers", "2", "--state-backend", "redsi"],
        tmp_path,
    )
    assert result.returncode == 78, result.stderr
    assert result.stderr.strip().splitlines() == [
        "PyWry cannot start: PYWRY_DEPLOY__STATE_BACKEND='redsi' is not a known state backend. "
        "Did you mean 'redis'? Installed backends: " + result.stderr.split("backends: ")[1].strip()
    ]
    debug, _ = _run(
        [*PYWRY, "--debug", "serve", str(COUNTED_APP), "--state-backend", "redsi"], tmp_path
    )
    assert "Traceback" in debug.stderr and debug.returncode == 78


def test_uvicorn_workers_stop_once_when_the_backend_cannot_load(tmp_path: Path) -> None:
    # A backend distribution that is present but broken (its import fails), as after a
    # partial install: every worker fails at `app = get_server_app()`.
    broken = tmp_path / "broken" / "pywry_state_redis"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        "raise ImportError('simulated: the redis client is missing')\n"
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "counted_app:app",
        "--app-dir",
        str(COUNTED_APP.parent),
    ]
    command += ["--port", "0", "--workers", str(WORKERS)]
    result, seconds = _run(
        command,
        tmp_path,
        cwd=ROOT,  # run from the checkout: the hint names the folder to install
        PYTHONPATH=str(broken.parent),
        PYWRY_DEPLOY__STATE_BACKEND="redis",
    )
    runs = body_runs(tmp_path / "body.log")
    status = result.returncode  # uvicorn's supervisor exits 0 here (docs/cli.md)
    print(f"\n[uvicorn-broken-backend] seconds={seconds:.1f} status={status} runs={len(runs)}")
    assert result.stderr.count("PyWry cannot start") == 1, result.stderr
    assert "pip install --force-reinstall ./packages/pywry-state-redis" in result.stderr
    assert "Traceback" not in result.stderr
    assert "died" not in result.stderr  # no worker was started again
    assert len(runs) <= WORKERS
    assert seconds < 30


@pytest.mark.parametrize(
    ("command", "status"),
    [
        pytest.param([*PYWRY, "serve", str(COUNTED_APP)], 78, id="pywry-serve"),
        pytest.param([sys.executable, str(COUNTED_APP)], 1, id="deploy"),
    ],
)
def test_a_worker_that_fails_alone_stops_the_server_with_one_line(
    tmp_path: Path, command: list[str], status: int
) -> None:
    # The parent's checks pass; only the workers see the bad backend name.
    result, seconds = _run(
        command,
        tmp_path,
        **_sqlite_env(tmp_path),
        PYWRY_SERVER__WORKERS="2",
        PYWRY_SERVER__PORT="0",
        PYWRY_TEST_WORKER_BACKEND="redsi",
    )
    print(f"\n[worker-only-failure] seconds={seconds:.1f} status={result.returncode}")
    assert result.returncode == status, result.stderr
    assert result.stderr.count("PyWry cannot start") == 1, result.stderr
    assert "'redsi' is not a known state backend" in result.stderr
    assert "Traceback" not in result.stderr
    assert "died" not in result.stderr


def _dead_redis() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def test_uvicorn_workers_stop_once_when_redis_is_unreachable(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "counted_app:app", "--app-dir"]
    command += [str(COUNTED_APP.parent), "--port", "0", "--workers", str(WORKERS)]
    result, seconds = _run(
        command,
        tmp_path,
        PYWRY_DEPLOY__STATE_BACKEND="redis",
        PYWRY_DEPLOY__REDIS_URL=_dead_redis(),
    )
    print(f"\n[uvicorn-unreachable-redis] seconds={seconds:.1f} status={result.returncode}")
    assert result.stderr.count("PyWry cannot start: Cannot reach Redis") == 1, result.stderr
    assert "PYWRY_DEPLOY__REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert "died" not in result.stderr
    assert len(body_runs(tmp_path / "body.log")) <= WORKERS


def test_pywry_serve_exits_69_when_redis_is_unreachable(tmp_path: Path) -> None:
    result, _ = _run(
        [*PYWRY, "serve", f"{COUNTED_APP}:app", "--workers", "2", "--state-backend", "redis"],
        tmp_path,
        PYWRY_DEPLOY__REDIS_URL=_dead_redis(),
    )
    assert result.returncode == 69, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("PyWry cannot start: Cannot reach Redis")
    assert len(body_runs(tmp_path / "body.log")) == 1  # found in the parent: no worker started
