"""Four workers opening one brand-new encrypted SQLite file at the same moment.

``uvicorn mw_app:app --workers 4`` skips PyWry's own start-up check (which opens the
database once in the parent), so the four workers race to create the file, its salt
file and its schema. With no ``PYWRY_SQLITE_KEY`` and no usable keyring, the key is
the host key derived from the salt file: a second salt would lock workers out.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from servers import ServerProcess, start_server
from websockets.sync.client import connect

from .conftest import APPS, MW_APP

WORKERS = 4
READYZ_TOKEN = "readyz-token-for-tests-0123"


def _start_uvicorn_cli(tmp_path: Path, db: Path) -> ServerProcess:
    command = [sys.executable, "-m", "uvicorn", "mw_app:app", "--app-dir", str(APPS)]
    command += ["--host", "127.0.0.1", "--port", "{port}", "--workers", str(WORKERS)]
    return start_server(
        MW_APP,
        tmp_path,
        command=command,
        env={
            "PYWRY_DEPLOY__STATE_BACKEND": "sqlite",
            "PYWRY_DEPLOY__SQLITE_PATH": str(db),
            "PYWRY_SQLITE_KEY": "",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "PYWRY_SERVER__READYZ_TOKEN": READYZ_TOKEN,
        },
    )


def _ready_reports(server: ServerProcess, tries: int = 60) -> dict[str, dict[str, Any]]:
    """``/readyz`` over new connections: the answer of each worker reached, by id.

    The worker id is an operator detail: it comes only with the readiness token.
    """
    seen: dict[str, dict[str, Any]] = {}
    auth = {"Authorization": f"Bearer {READYZ_TOKEN}"}
    for _ in range(tries):
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            reply = client.get("/readyz", headers=auth)
        assert reply.status_code == 200, reply.text
        seen[reply.json()["worker"]] = reply.json()
        if len(seen) == WORKERS:
            break
    return seen


def _wait_started(server: ServerProcess) -> str:
    """The log once every worker has finished its start-up (or failed to)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log = server.log()
        if log.count("Application startup complete") >= WORKERS or "Traceback" in log:
            return log
        time.sleep(0.2)
    raise AssertionError(f"not every worker started:\n{server.log()}")


@pytest.mark.e2e
def test_four_workers_create_one_encrypted_file_at_once(tmp_path: Path) -> None:
    db = tmp_path / "state" / "pywry.db"
    server = _start_uvicorn_cli(tmp_path, db)
    try:
        _wait_started(server)
        reports = _ready_reports(server)
        label = httpx.get(server.base_url + "/whoami", timeout=10).json()["label"]
        ws_url = server.base_url.replace("http", "ws") + f"/widget/{label}/ws?client=startup01"
        with connect(ws_url) as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            welcome = json.loads(ws.recv(10))
            emitters = set()
            for i in range(8):  # new connections: several workers emit
                with httpx.Client(base_url=server.base_url, timeout=10) as client:
                    emitters.add(client.get("/emit", params={"n": 1, "start": i}).json()["pid"])
            ticks = [json.loads(ws.recv(10)) for _ in range(8)]
        log = server.log()
    finally:
        server.stop()
    salts = sorted(p.name for p in db.parent.iterdir() if p.name.endswith(".salt"))
    print(
        f"\n[sqlite-startup] workers_started={log.count('Application startup complete')}, "
        f"workers_answering={len(reports)}, salt_files={salts}, socket_on={welcome['workerId']}, "
        f"emitted_by={sorted(emitters)}, received={[t['data']['i'] for t in ticks]}"
    )
    assert "Traceback" not in log and "database is locked" not in log, log
    assert all(r["encrypted"] and r["key_source"] == "salt-file" for r in reports.values())
    assert len(reports) >= 2, f"requests reached only {sorted(reports)}"
    assert salts == ["pywry.db.salt"]
    assert stat.S_IMODE((db.parent / "pywry.db.salt").stat().st_mode) == 0o600
    assert [t["data"]["i"] for t in ticks] == list(range(8))
    seqs = [t["seq"] for t in ticks]
    first = welcome["seq"] + 1 if welcome["seq"] else seqs[0]  # no log yet: one from the clock
    assert seqs == list(range(first, first + 8))
    plain = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="not a database"):
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        plain.close()
