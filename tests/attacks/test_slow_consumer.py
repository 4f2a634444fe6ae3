"""The slow-consumer attack on the spec's Full Example shape, with a bystander watching.

One attacker socket says hello and never reads (a raw socket with a 4 KiB receive
window); a second fires tens of thousands of Export clicks, each of which sends a
32 KiB download to every viewer; a bystander does ``app:ping`` round trips all along.
Before per-socket queues this froze every viewer of the worker for 30 s and more.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .wire import Bystander, RawSocket, next_of, open_socket, say_hello, unhandled_lines, ws_url

CLICKS = 30_000
#: Bytes of CSV each click sends to every viewer: enough to fill a stalled socket's
#: kernel buffers within the attack.
DOWNLOAD = 32 * 1024
#: Isolation, not speed: the bystander's worst round trip during the attack. A loaded
#: 2-core CI box answers in well under this; a worker stalled by one socket does not
#: answer for as long as the socket stalls (10 s send timeout, 30+ s before the fix).
BYSTANDER_BOUND = 2.0


async def drain(ws: ClientConnection, seen: Counter[str]) -> None:
    """Read everything ``ws`` is sent until it closes, counting by code/event/type."""
    try:
        async for text in ws:
            frame = json.loads(text)
            seen[str(frame.get("code") or frame.get("event") or frame.get("type"))] += 1
    except ConnectionClosed:
        pass
    seen[f"closed {ws.close_code}"] += 1


async def fire(url: str, clicks: int, seen: Counter[str]) -> None:
    """Click as fast as a socket takes it; when the server closes it, open another."""
    n = 0
    while n < clicks:
        ws = await open_socket(url)
        await say_hello(ws)
        reading = asyncio.create_task(drain(ws, seen))
        try:
            while n < clicks:
                frame = {"type": "event", "id": f"x-{n}", "event": "chart:export", "data": {}}
                await ws.send(json.dumps(frame))
                n += 1
                if n % 20 == 0:
                    await asyncio.sleep(0)  # this page's reader reads its replies meanwhile
        except ConnectionClosed:
            pass
        await ws.close()
        await reading


async def test_a_socket_that_never_reads_delays_nobody(board) -> None:
    server = board(PYWRY_SERVER__SEND_TIMEOUT="2", PYWRY_TEST_DOWNLOAD_BYTES=str(DOWNLOAD))
    url = server.base_url
    stalled = RawSocket(url, "stalled00001", rcvbuf=4096)
    stalled.send_json({"type": "hello", "lastSeq": None})
    stalled_id = stalled.read_json()["connectionId"]  # the welcome; never read again

    bystander = Bystander(ws_url(url, "bystander001"), timeout=BYSTANDER_BOUND * 5)
    stop_watching = bystander.start_in_thread()
    clicked: Counter[str] = Counter()
    started = time.monotonic()
    clicking = ws_url(url, "clicker00001")  # on a loop of its own, so it reads its replies
    await asyncio.to_thread(lambda: asyncio.run(fire(clicking, CLICKS, clicked)))
    async with httpx.AsyncClient() as client:  # health during the attack
        assert (await client.get(url + "/healthz", timeout=10)).status_code == 200
    await asyncio.sleep(3)  # the stalled socket's send times out within SEND_TIMEOUT
    attack = time.monotonic() - started
    await stop_watching()

    code = await asyncio.to_thread(stalled.close_code)
    stalled.close()
    print(
        f"\nslow consumer: {CLICKS} clicks in {attack:.1f} s, clicker got {dict(clicked)}; "
        f"stalled socket ended with {code or 'a dropped connection'}; bystander "
        f"{len(bystander.delays)} round trips, worst {bystander.worst:.3f} s, median "
        f"{sorted(bystander.delays)[len(bystander.delays) // 2]:.3f} s, first 5 "
        f"{[round(d, 3) for d in bystander.delays[:5]]}, lost {bystander.lost}"
    )
    assert clicked["ack"] >= 100  # the clicks ran (up to the event rate)
    assert code in (4408, None)  # closed as too slow (or dropped once the close stalled)
    gave_up = [line for line in server.log().splitlines() if f"socket {stalled_id}" in line]
    assert gave_up and "closing it" in gave_up[0], server.log()  # "fell behind"/"stalled"
    assert bystander.lost == 0 and len(bystander.delays) > 10
    assert bystander.worst < BYSTANDER_BOUND

    async with httpx.AsyncClient() as client:
        assert (await client.get(url + "/healthz")).status_code == 200
    fresh = await open_socket(ws_url(url, "afterwards01"))  # new sockets work
    await say_hello(fresh)
    await fresh.send(
        json.dumps({"type": "event", "id": "a-1", "event": "app:ping", "data": {"n": 1}})
    )
    while (await next_of(fresh, "event"))["event"] != "app:pong":
        pass
    await fresh.close()
    assert unhandled_lines(server.log()) == []
