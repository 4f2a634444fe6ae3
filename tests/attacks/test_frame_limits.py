"""Deep, oversize and compressed frames, the event rate and the socket limit, on a real server."""

from __future__ import annotations

import asyncio
import json
import time
import zlib

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .wire import (
    OP_TEXT,
    RawSocket,
    next_of,
    open_socket,
    rss_kib,
    say_hello,
    unhandled_lines,
    ws_url,
)

MIB = 1024 * 1024
#: What 30 bombs may add to the server's RSS: each is inflated to at most
#: MAX_MESSAGE_BYTES (1 MiB) before it is refused; before the limit they took +468 MB.
RSS_BOUND_KIB = 64 * 1024


@pytest.mark.parametrize("levels", [964, 100_000])
async def test_deep_frame_gets_too_deep_and_the_socket_keeps_working(board, levels: int) -> None:
    server = board()
    ws = await open_socket(ws_url(server.base_url, "deepclient01"))
    await say_hello(ws)
    data = "[" * levels + "]" * levels
    await ws.send('{"type":"event","id":"d-1","event":"app:ping","data":' + data + "}")
    error = await next_of(ws, "error")
    assert error["code"] == "too_deep", error
    await ws.send(
        json.dumps({"type": "event", "id": "ok-1", "event": "app:ping", "data": {"n": 7}})
    )
    assert (await next_of(ws, "ack"))["id"] == "ok-1"
    await ws.close()
    assert unhandled_lines(server.log()) == []


async def test_oversize_frame_is_closed_1009_before_it_is_buffered(board) -> None:
    server = board()
    ws = await open_socket(ws_url(server.base_url, "bigclient001"))
    await say_hello(ws)
    await ws.send('{"type":"ping","pad":"' + "x" * MIB + '"}')
    with pytest.raises(ConnectionClosed) as info:
        await next_of(ws, "pong")
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    again = await open_socket(ws_url(server.base_url, "bigclient001"))  # the page reconnects
    await say_hello(again)
    await again.send('{"type":"ping"}')
    await next_of(again, "pong")
    await again.close()
    assert unhandled_lines(server.log()) == []


def bomb(inflated: int = 16 * MIB) -> bytes:
    """A permessage-deflate payload of ~16 KB that inflates to ``inflated`` bytes."""
    text = b'{"type":"ping","pad":"' + b"a" * (inflated - 24) + b'"}'
    packer = zlib.compressobj(9, zlib.DEFLATED, -12)  # the server allows 12 window bits
    data = packer.compress(text) + packer.flush(zlib.Z_SYNC_FLUSH)
    return data.removesuffix(b"\x00\x00\xff\xff")


@pytest.mark.parametrize("deflate", [False, True], ids=["default-no-compression", "deflate-on"])
def test_compression_bombs_are_refused_before_they_inflate(board, deflate: bool) -> None:
    server = board(PYWRY_SERVER__WS_PER_MESSAGE_DEFLATE=str(deflate).lower())
    payload = bomb()
    assert len(payload) < 20_000
    before = rss_kib(server.proc.pid)
    codes = []
    for n in range(30):
        raw = RawSocket(server.base_url, f"bombclient{n:02d}")
        assert raw.deflate is deflate  # offered only when the setting is on
        raw.send_json({"type": "hello", "lastSeq": None})
        raw.send(OP_TEXT, payload, rsv1=True)
        codes.append(raw.close_code())
        raw.close()
    grown = rss_kib(server.proc.pid) - before
    print(f"\nRSS after 30 bombs ({len(payload)} B each, deflate={deflate}): +{grown} KiB")
    # Compression not negotiated: a compressed frame is a protocol error (1002), never
    # inflated. Negotiated: inflating stops at the size limit (1009).
    assert set(codes) == {1009 if deflate else 1002}, codes
    assert grown < RSS_BOUND_KIB
    assert httpx.get(server.base_url + "/healthz").status_code == 200
    assert unhandled_lines(server.log()) == []


async def test_burst_over_the_rate_is_refused_then_events_run_again(board) -> None:
    rate, burst, sent = 2.0, 10, 40
    server = board(PYWRY_SERVER__EVENT_RATE=str(rate), PYWRY_SERVER__EVENT_BURST=str(burst))
    ws = await open_socket(ws_url(server.base_url, "rateclient01"))
    await say_hello(ws)
    started = time.monotonic()
    for n in range(sent):
        frame = {"type": "event", "id": f"r-{n}", "event": "app:ping", "data": {"n": n}}
        await ws.send(json.dumps(frame))
    answers: dict[str, dict[str, object]] = {}
    async with asyncio.timeout(20):
        while len(answers) < sent:
            frame = json.loads(await ws.recv())
            if frame["type"] in ("ack", "error"):
                answers[frame["id"]] = frame
    elapsed = time.monotonic() - started
    accepted = [a for a in answers.values() if a["type"] == "ack"]
    limited = [a for a in answers.values() if a.get("code") == "rate_limited"]
    # The burst, plus what the bucket refilled while the frames were being handled.
    assert burst <= len(accepted) <= burst + int(elapsed * rate) + 1
    assert len(accepted) + len(limited) == sent
    assert "per second" in str(limited[0]["message"])
    await asyncio.sleep(1.5 / rate)  # a token comes back: the page's resend runs
    await ws.send(
        json.dumps({"type": "event", "id": "r-0-again", "event": "app:ping", "data": {"n": 99}})
    )
    ack = await next_of(ws, "ack")
    assert (ack["id"], ack["status"]) == ("r-0-again", "ok")
    await ws.close()


async def test_sockets_over_limit_concurrency_get_503_and_the_server_recovers(board) -> None:
    limit = 4
    server = board(PYWRY_SERVER__LIMIT_CONCURRENCY=str(limit))
    sockets = []
    for n in range(limit):
        ws = await open_socket(ws_url(server.base_url, f"conclient{n:03d}"))
        await say_hello(ws)
        sockets.append(ws)
    with pytest.raises(InvalidStatus) as info:
        await open_socket(ws_url(server.base_url, "conclient999"))
    assert info.value.response.status_code == 503
    async with httpx.AsyncClient() as client:  # uvicorn counts the sockets for HTTP too
        assert (await client.get(server.base_url + "/healthz")).status_code == 503
    for ws in sockets:  # the held sockets still work
        await ws.send('{"type":"ping"}')
        await next_of(ws, "pong")
        await ws.close()
    async with httpx.AsyncClient() as client:  # healthy again once the sockets are gone
        for _ in range(100):
            if (await client.get(server.base_url + "/healthz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await client.get(server.base_url + "/healthz")).status_code == 200
    ws = await open_socket(ws_url(server.base_url, "conclient998"))
    await say_hello(ws)
    await ws.close()
    assert server.proc.poll() is None
    assert unhandled_lines(server.log()) == []


async def test_a_refused_origin_is_logged_clipped(board) -> None:
    server = board(PYWRY_SERVER__CORS_ORIGINS="https://dash.example")
    origin = "https://evil.example/" + "A" * 6000
    ws = await open_socket(ws_url(server.base_url, "originclient"), origin=origin)
    assert json.loads(await ws.recv())["code"] == "forbidden_origin"
    with pytest.raises(ConnectionClosed) as info:
        await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 4403
    line = next(x for x in server.log().splitlines() if "Refused WebSocket" in x)
    assert len(line) < 300 and line.endswith("(6021 chars)"), line
