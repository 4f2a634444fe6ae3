"""Per-widget access across workers: two uvicorn workers on a real Redis.

A widget's roles travel in its record and a session's roles in the session record,
so the worker that did not make the widget (or the session) decides like the one
that did. App: ``apps/acl_app.py``.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pywry_state_redis.testing import redis_server_url
from servers import ServerProcess, start_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import APPS, worker_pid

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

APP = APPS / "acl_app.py"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {
        "PYWRY_SERVER__WORKERS": "2",
        "PYWRY_DEPLOY__STATE_BACKEND": "redis",
        "PYWRY_DEPLOY__REDIS_URL": redis_server_url(),
        "PYWRY_DEPLOY__REDIS_PREFIX": f"pywry-acl-{uuid.uuid4().hex[:8]}",
    }
    running = start_server(APP, tmp_path, env=env)
    yield running
    running.stop()


def _login(server: ServerProcess, user: str, roles: str) -> tuple[dict[str, str], int]:
    answer = httpx.post(server.base_url + "/api/login", params={"user": user, "roles": roles})
    assert answer.status_code == 200, server.log()
    return {"Authorization": f"Bearer {answer.json()['session']}"}, int(answer.json()["pid"])


def _statuses_until_other_worker(
    server: ServerProcess, path: str, headers: dict[str, str], not_pid: int
) -> dict[int, set[int]]:
    """Fresh connections to ``path`` until a worker other than ``not_pid`` answered;
    ``{pid: statuses}`` of every answer."""
    seen: dict[int, set[int]] = {}
    for _ in range(400):
        answer = httpx.get(server.base_url + path, headers=headers)
        pid = int(answer.headers["x-worker-pid"])
        seen.setdefault(pid, set()).add(answer.status_code)
        if answer.status_code == 403:
            assert answer.json() == {"error": "forbidden"}
        if set(seen) - {not_pid}:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"only worker {not_pid} answered; log:\n{server.log()}")


def _socket(server: ServerProcess, label: str, headers: dict[str, str]) -> tuple[dict, int | None]:
    """Open ``label``'s socket, say hello: the first frame and the close code (if closed)."""
    url = server.base_url.replace("http://", "ws://") + f"/widget/{label}/ws"
    first: dict = {}
    code: int | None = None
    with contextlib.suppress(ConnectionClosed), connect(url, additional_headers=headers) as ws:
        with contextlib.suppress(ConnectionClosed):  # a refusal may come before the hello
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
        first = json.loads(ws.recv(timeout=10))
        try:
            ws.recv(timeout=3 if first["type"] == "error" else 0.2)
        except ConnectionClosed:
            code = ws.close_code
        except TimeoutError:
            pass
    return first, code


def test_roles_are_decided_alike_on_every_worker(server: ServerProcess) -> None:
    admin, _ = _login(server, "ann", "viewer,admin")
    plain, _ = _login(server, "bob", "viewer")
    made = httpx.post(server.base_url + "/api/admin-widget", headers=admin).json()
    label, owner = made["label"], int(made["pid"])
    path = f"/widget/{label}"
    # The run-time widget's record (with its roles) is read from Redis by the other worker.
    refused = _statuses_until_other_worker(server, path, plain, owner)
    assert all(statuses == {403} for statuses in refused.values()), refused
    allowed = _statuses_until_other_worker(server, path, admin, owner)
    assert all(statuses == {200} for statuses in allowed.values()), allowed
    # The module-level widget: the same answers from both workers.
    board = _statuses_until_other_worker(server, "/widget/admin-board", plain, owner)
    assert all(statuses == {403} for statuses in board.values()), board
    assert httpx.get(server.base_url + path).status_code == 401  # no session at all
    # Sockets: refused with forbidden_widget / 4403 wherever they land; the admin's is
    # welcomed, by the other worker too.
    for _ in range(6):
        frame, code = _socket(server, label, plain)
        assert (frame.get("code"), code) == ("forbidden_widget", 4403), frame
    workers: set[int] = set()
    for _ in range(60):
        frame, code = _socket(server, label, admin)
        assert frame["type"] == "welcome" and code is None, frame
        workers.add(worker_pid(frame["workerId"]))
        if workers - {owner}:
            break
    assert workers - {owner}, f"the admin's socket never reached the other worker: {workers}"
    print(
        f"\n[acl multiworker] refused={sorted(refused)} allowed={sorted(allowed)} "
        f"socket workers={sorted(workers)} owner={owner}"
    )
