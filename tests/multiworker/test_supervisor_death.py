"""A supervisor killed without stopping its workers (SIGKILL, the OOM killer) takes them
with it: no worker goes on serving the port, unsupervised."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from multiworker.conftest import SQLITE_KEY, start_multiworker, worker_pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_workers_stop_when_their_supervisor_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYWRY_SQLITE_KEY", SQLITE_KEY)
    mw = start_multiworker(
        tmp_path, backend="sqlite", workers=2, PYWRY_SERVER__TIMEOUT_GRACEFUL_SHUTDOWN="2"
    )
    workers = {worker_pid(w) for w in mw.alive_workers()}
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    os.kill(mw.server.proc.pid, signal.SIGKILL)
    mw.server.proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    left = sorted(pid for pid in workers if _alive(pid))
    assert not left, f"workers {left} outlived their supervisor:\n{mw.server.log()[-3000:]}"
    port = int(mw.base_url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass
    assert "Shutting down" in mw.server.log()  # each stopped as on SIGTERM, not killed
