"""Upkeep's catch-up on an open socket: a log position read before frames queued ahead
of it went out is not a reset (issue 11: spurious resets replayed old events)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pywry_server.connection import Connection, StreamStart
from server_support import Log
from starlette.websockets import WebSocketState


class Socket:
    """The part of a Starlette WebSocket a Connection uses; records the frames sent."""

    application_state = WebSocketState.CONNECTED
    client_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))
        await asyncio.sleep(0)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.client_state = WebSocketState.DISCONNECTED


def _event(seq: int) -> dict[str, Any]:
    return {"type": "event", "event": "app:tick", "data": {"n": seq}, "seq": seq}


async def _settle(connection: Connection, socket: Socket, count: int) -> None:
    for _ in range(500):  # 5 s at most
        if len(socket.sent) >= count:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    connection.close(1000, "done")


async def test_a_stale_newest_behind_queued_events_is_not_a_reset() -> None:
    log = Log([_event(n) for n in range(1, 6)])
    socket = Socket()
    connection = Connection(socket, "board", "client01", log)  # type: ignore[arg-type]
    writer = asyncio.create_task(connection.run_writer())
    connection.start_delivery({"seq": StreamStart(2)})
    connection.deliver(_event(3))
    connection.deliver(_event(4))
    connection.deliver(_event(5))
    connection.sync(2)  # upkeep read the newest (2) before 3-5 were sent
    await _settle(connection, socket, 3)
    await writer
    assert [f.get("seq") for f in socket.sent if f["type"] == "event"] == [3, 4, 5]
    assert not [f for f in socket.sent if f["type"] == "reset"]


async def test_a_log_that_numbers_below_the_old_one_is_a_reset() -> None:
    log = Log([_event(n) for n in range(1, 6)])
    socket = Socket()
    connection = Connection(socket, "board", "client01", log)  # type: ignore[arg-type]
    writer = asyncio.create_task(connection.run_writer())
    connection.start_delivery({"seq": StreamStart(5)})
    await asyncio.sleep(0.05)
    # the log was lost and made again below the old one (the clock went backwards, or
    # a backend numbers from 1): the fallback tells the page to count again
    log.entries = [_event(1)]
    connection.sync(1)
    await _settle(connection, socket, 2)
    await writer
    assert socket.sent[0] == {"type": "reset", "seq": 0}
    assert socket.sent[1]["seq"] == 1


#: A log's first number: the clock at its creation in microseconds (2026).
CLOCK = 1_800_000_000_000_000


async def test_a_log_made_again_from_the_clock_is_sent_without_a_reset() -> None:
    log = Log([_event(n) for n in range(CLOCK, CLOCK + 5)])
    socket = Socket()
    connection = Connection(socket, "board", "client01", log)  # type: ignore[arg-type]
    writer = asyncio.create_task(connection.run_writer())
    connection.start_delivery({"seq": StreamStart(CLOCK + 4)})
    await asyncio.sleep(0.05)
    log.entries = []  # the backend lost the log: no log is not a reset
    connection.sync(0)
    await asyncio.sleep(0.05)
    later = CLOCK + 30_000_000  # made again 30 s later, by the first append since
    log.entries = [_event(n) for n in range(later, later + 3)]
    connection.deliver(_event(later + 2))  # the bus lost the first two: filled from the log
    connection.deliver(_event(later + 1))  # a duplicate by then
    await _settle(connection, socket, 3)
    await writer
    assert [f["seq"] for f in socket.sent] == [later, later + 1, later + 2]
    assert not [f for f in socket.sent if f["type"] == "reset"]


async def test_upkeep_finds_a_log_made_again_from_the_clock() -> None:
    log = Log([_event(CLOCK)])
    socket = Socket()
    connection = Connection(socket, "board", "client01", log)  # type: ignore[arg-type]
    writer = asyncio.create_task(connection.run_writer())
    connection.start_delivery({"seq": StreamStart(CLOCK)})
    await asyncio.sleep(0.05)
    later = CLOCK + 1_000_000
    log.entries = [_event(later), _event(later + 1)]  # every live event lost on the bus
    connection.sync(later + 1)
    await _settle(connection, socket, 2)
    await writer
    assert [f["seq"] for f in socket.sent] == [later, later + 1]
