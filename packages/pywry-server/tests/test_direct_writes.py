"""Frames written at once (``ws_protocol.SEND_NOW``) and frames the writer sends keep
one order: a frame never overtakes one queued before it, and a socket whose send
buffer is full gets its frames through the writer (which waits for room)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pywry_server.connection import Connection, ConnectionState, StreamStart
from pywry_server.ws_protocol import SEND_NOW
from server_support import Log
from starlette.websockets import WebSocketState


class Socket:
    """A WebSocket whose protocol offers ``send_now``; ``full`` refuses it (no room)."""

    application_state = WebSocketState.CONNECTED
    client_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []  # (how, frame)
        self.full = False
        self.room = asyncio.Event()
        self.room.set()
        self.scope = {"extensions": {SEND_NOW: self.send_now}}

    def send_now(self, text: str) -> bool:
        if self.full:
            return False
        self.sent.append(("now", json.loads(text)))
        return True

    async def send_text(self, text: str) -> None:
        await self.room.wait()
        self.sent.append(("writer", json.loads(text)))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.client_state = WebSocketState.DISCONNECTED

    def seqs(self) -> list[int]:
        return [frame["seq"] for _, frame in self.sent if "seq" in frame]


def _event(seq: int) -> dict[str, Any]:
    return {"type": "event", "event": "app:tick", "data": {"n": seq}, "seq": seq}


async def _open(log: Log) -> tuple[Connection, Socket, asyncio.Task[None]]:
    socket = Socket()
    connection = Connection(socket, "board", "client01", log)  # type: ignore[arg-type]
    writer = asyncio.create_task(connection.run_writer())
    connection.start_delivery({"seq": StreamStart(0)})
    for _ in range(100):
        if connection.state is ConnectionState.OPEN:
            break
        await asyncio.sleep(0.01)
    return connection, socket, writer


async def _until(check: Any) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)


async def test_an_idle_open_socket_is_written_at_once() -> None:
    connection, socket, writer = await _open(Log([]))
    connection.deliver(_event(1))
    connection.send({"type": "ack", "id": "a1", "status": "ok"})
    # written by the caller, before the writer ever ran again
    assert socket.sent == [("now", _event(1)), ("now", {"type": "ack", "id": "a1", "status": "ok"})]
    connection.close(1000, "done")
    await writer


async def test_frames_behind_a_full_buffer_wait_their_turn() -> None:
    connection, socket, writer = await _open(Log([]))
    socket.full, socket.room = True, asyncio.Event()  # no room: the writer waits
    connection.deliver(_event(1))
    await asyncio.sleep(0.02)  # the writer holds 1, waiting for room
    socket.full = False  # room for a direct write, but 1 is still on its way
    connection.deliver(_event(2))
    connection.send({"type": "pong"})
    socket.room.set()
    await _until(lambda: len(socket.sent) == 3)
    assert socket.seqs() == [1, 2]
    assert [frame["type"] for _, frame in socket.sent] == ["event", "event", "pong"]
    assert socket.sent[0][0] == "writer"  # the one that waited for room
    connection.deliver(_event(3))  # the backlog is gone: at once again
    assert socket.sent[-1] == ("now", _event(3))
    connection.close(1000, "done")
    await writer


async def test_a_hole_is_filled_from_the_log_before_the_next_event() -> None:
    log = Log([_event(n) for n in range(1, 4)])
    connection, socket, writer = await _open(log)
    await _until(lambda: len(socket.sent) == 3)  # the replay: 1-3
    log.entries.extend([_event(4), _event(5)])
    connection.deliver(_event(5))  # 4 never arrived live (a lost publish)
    connection.deliver(_event(6))
    log.entries.append(_event(6))
    await _until(lambda: len(socket.sent) == 6)
    assert socket.seqs() == [1, 2, 3, 4, 5, 6]
    connection.close(1000, "done")
    await writer


async def test_nothing_is_written_at_once_before_the_replay() -> None:
    socket = Socket()
    log = Log([_event(1), _event(2)])
    connection = Connection(socket, "board", "client01", log)  # type: ignore[arg-type]
    connection.deliver(_event(3))  # live, while the socket is still connecting
    assert socket.sent == []
    writer = asyncio.create_task(connection.run_writer())
    connection.start_delivery({"seq": StreamStart(0, missed=[_event(1), _event(2)])})
    await _until(lambda: len(socket.sent) == 3)
    assert socket.seqs() == [1, 2, 3]
    connection.close(1000, "done")
    await writer
