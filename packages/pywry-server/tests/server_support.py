"""Helpers the server tests share: a browser-protocol socket and a polling wait."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def connect(client: Any, label: str = "demo", last_seq: int | None = None, **headers: str):
    """Open ``label``'s socket as the bridge does; returns ``(context, socket, welcome)``."""
    ws = client.websocket_connect(f"/widget/{label}/ws?client=testclient01", headers=headers)
    socket = ws.__enter__()
    socket.send_json({"type": "hello", "lastSeq": last_seq})
    welcome = socket.receive_json()
    assert welcome["type"] == "welcome", welcome
    return ws, socket, welcome


def follow(seqs: list[int], newest: int, since: int) -> None:
    """Assert ``seqs`` are the log's entries right after ``newest`` (a ``welcome.seq``),
    in order, none missing. With no log (``newest`` 0) the first append makes one that
    numbers from the clock, in microseconds no earlier than ``since`` (a
    ``pywry.state.first_seq()`` read before)."""
    assert seqs, "no entries"
    first = newest + 1 if newest else seqs[0]
    if not newest:
        assert first >= since, f"a new log's first number {first} is not the clock {since}"
    assert seqs == list(range(first, first + len(seqs))), (seqs, newest)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


class Log:
    """An in-memory replay log, as much of it as a Connection reads."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries

    async def since(self, widget_id: str, after_seq: int) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["seq"] > after_seq]

    async def last_seq(self, widget_id: str) -> int:
        return max((e["seq"] for e in self.entries), default=0)
