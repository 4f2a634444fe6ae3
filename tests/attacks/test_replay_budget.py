"""Replay is bounded in bytes: a 30-byte ``hello`` cannot ask for megabytes.

A page that missed more than ``PYWRY_SERVER__REPLAY_MAX_BYTES`` of events gets a
``reset`` with ``reload: true`` and none of them (``bridge.js`` then loads the page
again, which shows the current state); one that missed less gets them all, in order.
Each Export click of the board app broadcasts a 64 KiB download.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from servers import ServerProcess

from .wire import next_of, open_socket, say_hello, ws_url

DOWNLOAD = 64 * 1024
BUDGET = 200_000


async def _frames_after_hello(url: str, last_seq: int, count: int) -> list[dict[str, Any]]:
    """The frames a page that has ``last_seq`` receives right after ``welcome``."""
    ws = await open_socket(url)
    try:
        await ws.send(json.dumps({"type": "hello", "lastSeq": last_seq}))
        await next_of(ws, "welcome")
        frames = []
        async with asyncio.timeout(20):
            while len(frames) < count:
                frames.append(json.loads(await ws.recv()))
        return frames
    finally:
        await ws.close()


async def _click(url: str, times: int) -> None:
    ws = await open_socket(url)
    try:
        await say_hello(ws)
        for n in range(times):
            event = {"type": "event", "id": f"c{n}", "event": "chart:export", "data": {}}
            await ws.send(json.dumps(event))
        done = 0
        while done < times:  # each click's broadcast reaches the clicker too
            frame = await next_of(ws, "event")
            done += frame.get("event") == "pywry:download"
    finally:
        await ws.close()


async def _scenario(base_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    away = ws_url(base_url, "away")
    ws = await open_socket(away)
    seq = (await say_hello(ws))["seq"]
    await ws.close()
    await _click(ws_url(base_url, "clicker"), 2)  # 128 KiB: under the budget
    small = await _frames_after_hello(away, seq, 2)
    await _click(ws_url(base_url, "clicker2"), 4)  # 256 KiB more since those two: over it
    large = await _frames_after_hello(away, small[-1]["seq"], 1)
    return small, large


def test_a_page_that_missed_too_much_is_told_to_reload_instead_of_replayed(
    board: Callable[..., ServerProcess],
) -> None:
    server = board(
        PYWRY_TEST_DOWNLOAD_BYTES=str(DOWNLOAD),
        PYWRY_SERVER__REPLAY_MAX_BYTES=str(BUDGET),
    )
    small, large = asyncio.run(_scenario(server.base_url))
    assert [f.get("event") for f in small] == ["pywry:download", "pywry:download"]
    assert small[1]["seq"] == small[0]["seq"] + 1
    assert large[0]["type"] == "reset" and large[0]["reload"] is True, large[0]
    assert "Not replaying 4 missed events" in server.log()
