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


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")
