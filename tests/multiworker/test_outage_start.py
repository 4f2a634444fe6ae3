"""A transient outage never stops a running server: a worker that replaces a killed one
while Redis is down starts, answers ``/readyz`` 503, and joins when Redis returns."""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any

import httpx
import pytest
import redis
from pywry_state_redis.testing import ThrowawayRedis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import MultiWorker, kill, worker_pid

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

TOKEN = "outage-test-token-0123456789"
STARTED = re.compile(r"Started server process \[(\d+)\]")


def _readyz(mw: MultiWorker) -> tuple[int, dict[str, Any]]:
    with httpx.Client(timeout=5) as client:  # a new connection: maybe another worker
        reply = client.get(mw.base_url + "/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    return reply.status_code, dict(reply.json())


def _readyz_of(mw: MultiWorker, pid: int, status: int, timeout: float = 60) -> dict[str, Any]:
    """Poll ``/readyz`` until worker ``pid`` itself answers ``status``."""
    deadline = time.monotonic() + timeout
    seen: list[tuple[int, str]] = []
    while time.monotonic() < deadline:
        code, body = _readyz(mw)
        seen.append((code, str(body.get("worker"))))
        if code == status and "worker" in body and worker_pid(body["worker"]) == pid:
            return body
        time.sleep(0.1)
    raise AssertionError(f"worker {pid} never answered {status}: {seen[-10:]}\n{mw.server.log()}")


def _new_pid(mw: MultiWorker, known: set[int], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = {int(pid) for pid in STARTED.findall(mw.server.log())} - known
        if started:
            return started.pop()
        time.sleep(0.1)
    raise AssertionError(f"no replacement worker started:\n{mw.server.log()}")


def _refusals(mw: MultiWorker, label: str, tries: int = 40) -> set[str]:
    """Sockets opened during the outage: each is told to retry; the reasons given."""
    url = mw.base_url.replace("http", "ws") + f"/widget/{label}/ws"
    reasons: set[str] = set()
    for attempt in range(tries):
        with connect(f"{url}?client=refused{attempt:04d}") as ws:
            with contextlib.suppress(ConnectionClosed):  # a joining worker does not wait
                ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            error = json.loads(ws.recv(10))
            with pytest.raises(ConnectionClosed):
                ws.recv(10)
            assert error["type"] == "error" and error["code"] == "unavailable", error
            assert ws.close_code == 1013  # try again later: the bridge reconnects
            reasons.add(error["message"])
        if len(reasons) > 1:
            break
    return reasons


def _socket_on(mw: MultiWorker, label: str, pid: int) -> str:
    """Open sockets to ``label`` until one lands on ``pid``; send an event there."""
    url = mw.base_url.replace("http", "ws") + f"/widget/{label}/ws"
    for attempt in range(60):
        with connect(f"{url}?client=outage{attempt:04d}") as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            welcome = json.loads(ws.recv(10))
            assert welcome["type"] == "welcome", welcome
            if worker_pid(welcome["workerId"]) != pid:
                continue
            ws.send(json.dumps({"type": "event", "id": "e1", "event": "app:note", "data": {}}))
            while (frame := json.loads(ws.recv(10))).get("id") != "e1":
                pass
            return str(frame.get("status", frame.get("code")))
    raise AssertionError(f"no socket landed on worker {pid}")


@pytest.mark.parametrize("mw_backend", ["redis"])
def test_replacement_started_during_an_outage_waits_and_joins(multiworker) -> None:
    redis = ThrowawayRedis()
    redis.start()
    try:
        mw = multiworker(workers=2, redis_url=redis.url, PYWRY_SERVER__READYZ_TOKEN=TOKEN)
        first = {worker_pid(w) for w in mw.wait_workers(2)}
        victim, survivor = sorted(first)
        board = httpx.get(mw.base_url + "/whoami", timeout=10).json()["label"]

        redis.stop()
        kill(victim)
        replacement = _new_pid(mw, first)
        waiting = _readyz_of(mw, replacement, 503)
        assert waiting["status"] == "unavailable" and waiting["detail"].startswith("joining")
        assert mw.server.proc.poll() is None, mw.server.log()  # the server is still up
        for _ in range(10):
            assert httpx.get(mw.base_url + "/healthz", timeout=5).status_code == 200
        reasons = _refusals(mw, board)
        assert any("not joined" in reason for reason in reasons), reasons

        redis.start()
        _readyz_of(mw, replacement, 200)
        alive = {worker_pid(w) for w in mw.wait_workers(2)}
        status = _socket_on(mw, board, replacement)
        calls = mw.wait_calls("app:note", 1)
        print(
            f"\n[outage-replacement] killed={victim} survivor={survivor} "
            f"replacement={replacement} alive_after={sorted(alive)} event={status}"
        )
        assert alive == {survivor, replacement}
        assert status == "ok" and calls[0]["pid"] == replacement
        assert mw.server.proc.poll() is None
        assert "PyWry cannot start" not in mw.server.log()
    finally:
        redis.stop()


@pytest.mark.parametrize("mw_backend", ["redis"])
def test_replacement_started_while_redis_refuses_writes_waits_and_joins(multiworker) -> None:
    redis_server = ThrowawayRedis()
    redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    try:
        mw = multiworker(workers=2, redis_url=redis_server.url, PYWRY_SERVER__READYZ_TOKEN=TOKEN)
        first = {worker_pid(w) for w in mw.wait_workers(2)}
        victim, survivor = sorted(first)

        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1")  # Redis answers PING but refuses every write
        try:
            kill(victim)
            replacement = _new_pid(mw, first)
            waiting = _readyz_of(mw, replacement, 503)  # waiting to join, or joined but
            assert "maxmemory" in waiting["detail"], waiting  # its write probe fails
            assert mw.server.proc.poll() is None, mw.server.log()
        finally:
            client.config_set("maxmemory", "0")
        _readyz_of(mw, replacement, 200)
        deadline = time.monotonic() + 60  # the killed worker's heartbeat runs out (grace)
        while (alive := {worker_pid(w) for w in mw.alive_workers()}) != {survivor, replacement}:
            assert time.monotonic() < deadline, alive
            time.sleep(0.2)
        print(f"\n[oom-replacement] replacement={replacement} alive_after={sorted(alive)}")
        assert alive == {survivor, replacement}
        assert mw.server.proc.poll() is None
    finally:
        client.close()
        redis_server.stop()
