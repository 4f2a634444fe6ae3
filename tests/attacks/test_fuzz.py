"""Seeded fuzzing of 10,000+ hostile frames against a real server, with a bystander.

Every fuzz frame is followed by a *sync* frame (``{"type": "sync", "id": ...}``, an
unknown type whose error reply carries the id), so each frame's outcome is observed:
the replies it caused arrive before the sync's error. A socket may end only with the
close the protocol prescribes (1007 for text that is not UTF-8); any other end is a
crashed socket.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .fuzz_frames import frames
from .wire import Bystander, next_of, open_socket, unhandled_lines, ws_url

SEED = 20261202
SOCKETS = 4
PER_SOCKET = 2600  # 10,400 fuzz frames in all
#: Closes the protocol prescribes for a frame (1007: a text frame that is not UTF-8).
EXPECTED_CLOSES = {"invalid-utf8": 1007}
#: Isolation, not speed: the bystander's round trip while four sockets fuzz the worker.
#: Generous for a loaded 2-core CI box; a stalled worker would blow through it.
BYSTANDER_BOUND = 2.0


@dataclass
class Tally:
    frames: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    other: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    crashed: list[str] = field(default_factory=list)
    first_frames: int = 0


async def fuzz_socket(url: str, seed: int, tally: Tally) -> None:
    ws: ClientConnection | None = None
    first = random.Random(seed)  # a quarter of the sockets get a fuzz frame, not hello, first
    for sync, (kind, payload, text) in enumerate(frames(seed, PER_SOCKET), start=1):
        tally.frames += 1
        try:
            if ws is None:
                ws = await open_socket(url)
                if first.random() < 0.25:
                    await ws.send(payload, text=text)
                    await next_of(ws, "welcome")
                    tally.first_frames += 1
                else:
                    await ws.send(json.dumps({"type": "hello", "lastSeq": None}))
                    await next_of(ws, "welcome")
                    await ws.send(payload, text=text)
            else:
                await ws.send(payload, text=text)
            await ws.send(json.dumps({"type": "sync", "id": f"sync-{sync}"}))
            await _until_sync(ws, f"sync-{sync}", tally)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else 1006
            tally.closes[code] += 1
            if EXPECTED_CLOSES.get(kind) != code:
                tally.crashed.append(f"{kind} frame {str(payload)[:80]!r} closed with {code}")
            ws = None
    if ws is not None:
        await ws.close()


async def _until_sync(ws: ClientConnection, sync_id: str, tally: Tally) -> None:
    async with asyncio.timeout(30):
        while True:
            reply = json.loads(await ws.recv())
            if reply.get("type") == "error":
                if reply.get("id") == sync_id:
                    return
                tally.errors[str(reply.get("code"))] += 1
            else:
                tally.other[str(reply.get("type"))] += 1


async def test_fuzzing_never_crashes_a_socket_or_starves_a_bystander(board) -> None:
    server = board(PYWRY_TEST_DOWNLOAD_BYTES="200")
    url = server.base_url
    bystander = Bystander(ws_url(url, "bystander001"))
    stop_watching = bystander.start_in_thread()
    tallies = [Tally() for _ in range(SOCKETS)]
    await asyncio.gather(
        *(
            fuzz_socket(ws_url(url, f"fuzzclient{n:02d}"), SEED + n, tallies[n])
            for n in range(SOCKETS)
        )
    )
    await stop_watching()
    total = Tally()
    for tally in tallies:
        total.frames += tally.frames
        total.errors.update(tally.errors)
        total.other.update(tally.other)
        total.closes.update(tally.closes)
        total.crashed += tally.crashed
        total.first_frames += tally.first_frames
    unhandled = unhandled_lines(server.log())
    print(
        f"\nfuzz: {total.frames} frames, {sum(total.errors.values())} error replies "
        f"{dict(total.errors)}, other replies {dict(total.other)}, closes {dict(total.closes)}, "
        f"unhandled exceptions {len(unhandled)}, crashed sockets {len(total.crashed)}, "
        f"{total.first_frames} sockets opened with a fuzz frame; "
        f"bystander {len(bystander.delays)} round trips, worst {bystander.worst:.3f} s, "
        f"lost {bystander.lost}"
    )
    assert total.frames >= 10_000
    assert unhandled == [], "\n".join(unhandled[:20])
    assert total.crashed == []
    assert total.first_frames > 0
    assert sum(total.errors.values()) > total.frames // 2  # most frames are refused ...
    assert total.other["ack"] > 0  # ... and the well-formed events among them ran
    assert bystander.lost == 0 and len(bystander.delays) > 20
    assert bystander.worst < BYSTANDER_BOUND
    async with httpx.AsyncClient() as client:
        assert (await client.get(url + "/healthz")).status_code == 200
