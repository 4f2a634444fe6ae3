"""``/readyz`` tells the truth: 503 while the backend refuses writes (a SQLite file that
cannot be written, Redis out of memory), 200 again by itself once it accepts them; and a
SQLite path that cannot hold a database stops start-up with one line naming the setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis
from pywry_state_redis.testing import ThrowawayRedis, free_port
from pywry_state_sqlite import SQLiteBackend

from .conftest import MW_APP, SQLITE_KEY, MultiWorker

pytestmark = pytest.mark.e2e


def _wait_ready(mw: MultiWorker, status: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    answers: list[int] = []
    while time.monotonic() < deadline:
        answers.append(httpx.get(mw.base_url + "/readyz", timeout=10).status_code)
        if answers[-1] == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"/readyz never answered {status}: {answers[-5:]}\n{mw.server.log()}")


@contextmanager
def _immutable(path: Path) -> Iterator[None]:
    """``chattr +i``: writes fail even for root (permissions would not stop root)."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("mw_backend", ["sqlite"])
def test_readyz_fails_while_sqlite_refuses_writes(
    multiworker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYWRY_SQLITE_KEY", SQLITE_KEY)  # for this process's own reads
    mw = multiworker(workers=1)
    _wait_ready(mw, 200)
    wal = Path(mw.deploy["sqlite_path"] + "-wal")  # WAL mode: every write goes here first
    assert wal.is_file()
    with _immutable(wal):
        _wait_ready(mw, 503)
        still = httpx.get(mw.base_url + "/readyz", timeout=10)
        healthz = httpx.get(mw.base_url + "/healthz", timeout=10).status_code
    _wait_ready(mw, 200)
    print(f"\n[readyz-sqlite] read-only: readyz={still.status_code} healthz={healthz}; after: 200")
    assert still.status_code == 503 and still.json() == {"status": "unavailable"}
    assert healthz == 200
    assert mw.server.proc.poll() is None


@pytest.mark.redis
@pytest.mark.parametrize("mw_backend", ["redis"])
def test_readyz_fails_while_redis_is_out_of_memory(multiworker) -> None:
    server = ThrowawayRedis()
    server.start()
    client = redis.Redis.from_url(server.url)
    try:
        mw = multiworker(workers=1, redis_url=server.url)
        _wait_ready(mw, 200)
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1")
        try:
            _wait_ready(mw, 503)
            assert client.ping()  # Redis answers; it only refuses writes
        finally:
            client.config_set("maxmemory", "0")
        _wait_ready(mw, 200)
        assert mw.server.proc.poll() is None
    finally:
        client.close()
        server.stop()


def _start_once(tmp_path: Path, sqlite_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MW_APP)],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYWRY_SERVER__PORT": str(free_port()),
            "PYWRY_DEPLOY__STATE_BACKEND": "sqlite",
            "PYWRY_DEPLOY__SQLITE_PATH": str(sqlite_path),
            "PYWRY_SQLITE_KEY": SQLITE_KEY,
        },
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _create_database(path: Path) -> None:
    async def go() -> None:
        async with SQLiteBackend(path):
            pass

    asyncio.run(go())


@pytest.mark.parametrize("case", ["directory", "file-as-directory", "unwritable", "read-only"])
def test_bad_sqlite_path_is_one_line_naming_the_setting(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "plain-file").write_text("x")
    paths = {
        "directory": (tmp_path, None),
        "file-as-directory": (tmp_path / "plain-file" / "state.db", None),
        "unwritable": (locked / "missing" / "state.db", locked),
        "read-only": (locked / "state.db", locked / "state.db"),
    }
    path, frozen = paths[case]
    if case == "read-only":  # a database that exists but can no longer be written
        monkeypatch.setenv("PYWRY_SQLITE_KEY", SQLITE_KEY)
        _create_database(path)
    with contextlib.ExitStack() as stack:
        if frozen is not None:
            stack.enter_context(_immutable(frozen))
        result = _start_once(tmp_path, path)
    lines = result.stderr.strip().splitlines()
    print(f"\n[sqlite-path:{case}] exit={result.returncode} {lines}")
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("PyWry cannot start"), result.stderr
    assert "PYWRY_DEPLOY__SQLITE_PATH" in lines[0] and str(path) in lines[0]
