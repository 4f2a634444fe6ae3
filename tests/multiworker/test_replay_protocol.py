"""Replay and reset as the wire protocol shows them, on a 2-worker server (Redis, SQLite)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect


def _hello(ws: ClientConnection, last_seq: int | None) -> dict[str, Any]:
    ws.send(json.dumps({"type": "hello", "lastSeq": last_seq}))
    welcome = json.loads(ws.recv(10))
    assert welcome["type"] == "welcome", welcome
    return welcome


def _frames(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    return [json.loads(ws.recv(10)) for _ in range(count)]


def test_reconnect_replays_then_reset_when_last_seq_is_ahead(multiworker) -> None:
    mw = multiworker(workers=2)
    label = httpx.get(mw.base_url + "/whoami", timeout=10).json()["label"]
    url = mw.base_url.replace("http", "ws") + f"/widget/{label}/ws?client=replaytest01"
    httpx.get(mw.base_url + "/emit", params={"n": 4}, timeout=10)
    deadline = time.monotonic() + 10
    while mw.backend_call(lambda b: b.events.last_seq(label)) < 4:
        assert time.monotonic() < deadline, mw.server.log()
        time.sleep(0.05)

    with connect(url) as ws:
        welcome = _hello(ws, 1)  # missed seq 2, 3, 4
        assert welcome["seq"] == 4
        replayed = _frames(ws, 3)
        assert [(f["seq"], f["data"]["i"]) for f in replayed] == [(2, 1), (3, 2), (4, 3)]

    with connect(url) as ws:
        _hello(ws, 99)  # ahead of the log: it was reset while away
        reset, *log = _frames(ws, 5)
        assert reset == {"type": "reset", "seq": 0}
        assert [f["seq"] for f in log] == [1, 2, 3, 4]
        httpx.get(mw.base_url + "/emit", params={"n": 1, "start": 4}, timeout=10)
        live = json.loads(ws.recv(10))
        assert (live["seq"], live["data"]["i"]) == (5, 4)

    with connect(url) as ws:
        welcome = _hello(ws, None)  # a fresh page gets nothing old
        assert welcome["seq"] == 5
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(10)) == {"type": "pong"}
