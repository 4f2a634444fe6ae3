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
    while len(logged := mw.backend_call(lambda b: b.events.since(label, 0))) < 4:
        assert time.monotonic() < deadline, mw.server.log()
        time.sleep(0.05)
    first = logged[0]["seq"]  # the clock when the log was made, in microseconds
    assert [f["seq"] for f in logged] == list(range(first, first + 4))

    with connect(url) as ws:
        welcome = _hello(ws, first)  # missed the next three
        assert welcome["seq"] == first + 3
        replayed = _frames(ws, 3)
        assert [(f["seq"], f["data"]["i"]) for f in replayed] == [(first + i, i) for i in (1, 2, 3)]

    with connect(url) as ws:
        # a page of an earlier log of this widget (lost, made again since): its number
        # is below the new log's, which it simply gets, no reset
        _hello(ws, first - 5_000_000)
        assert [f["seq"] for f in _frames(ws, 4)] == list(range(first, first + 4))

    with connect(url) as ws:
        _hello(ws, first + 99)  # ahead of the log: it numbers below the page's
        reset, *log = _frames(ws, 5)
        assert reset == {"type": "reset", "seq": 0}
        assert [f["seq"] for f in log] == list(range(first, first + 4))
        httpx.get(mw.base_url + "/emit", params={"n": 1, "start": 4}, timeout=10)
        live = json.loads(ws.recv(10))
        assert (live["seq"], live["data"]["i"]) == (first + 4, 4)

    with connect(url) as ws:
        welcome = _hello(ws, None)  # a fresh page gets nothing old
        assert welcome["seq"] == first + 4
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(10)) == {"type": "pong"}
