"""Bounded memory: many short visits leave the worker's RSS and the backend flat.

A real server (the board app on Redis, short TTLs) gets 10,000 cycles of connect,
``hello`` as a fresh page (so a new viewer each time), one event and its reply, close;
then a storm of 200 page reloads from one browser session (page GET with the session
cookie, socket, ``hello``, close). The worker's RSS after the warm-up is the baseline:
the rest may not grow it by more than the stated bounds. Afterwards every key the
visits left in Redis (viewers, their logs, routing entries, dedupe keys) expires with
its TTL, so the key count returns to what the widgets alone need.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable

import httpx
import redis
from pywry_state_redis.testing import redis_server_url
from servers import ServerProcess

from .wire import next_of, open_socket, rss_kib, say_hello, ws_url

CYCLES = 10_000
WARM_UP = 1_000
CONCURRENCY = 8
RELOADS = 200
#: Growth allowed after the warm-up: allocator noise, not one structure per visit (10,000
#: visits that each kept 1 KiB would be ~10 MiB).
CYCLE_GROWTH_KIB = 6 * 1024
RELOAD_GROWTH_KIB = 3 * 1024
TTL = 3


async def _visit(url: str, n: int, headers: dict[str, str] | None = None) -> None:
    ws = await open_socket(url, additional_headers=headers or {})
    try:
        await say_hello(ws)
        await ws.send(
            json.dumps({"type": "event", "id": f"m{n}", "event": "app:ping", "data": {"n": n}})
        )
        async with asyncio.timeout(20):
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "event" and frame.get("event") == "app:pong":
                    assert frame["data"] == {"n": n}
                    return
    finally:
        await ws.close()


async def _cycles(base_url: str, start: int, count: int) -> None:
    queue = iter(range(start, start + count))

    async def run_some() -> None:
        for n in queue:
            await _visit(ws_url(base_url, f"mem{n}"), n)

    await asyncio.gather(*(run_some() for _ in range(CONCURRENCY)))


async def _reload_storm(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as browser:
        for n in range(RELOADS):
            page = await browser.get("/widget/board")
            assert page.status_code == 200
            cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
            ws = await open_socket(
                ws_url(base_url, f"reload{n}"),
                additional_headers={
                    "Cookie": cookie,
                    "Origin": base_url,
                },
            )
            try:
                await say_hello(ws)
                await ws.send(json.dumps({"type": "ping"}))
                await next_of(ws, "pong")
            finally:
                await ws.close()


def _keys(client: redis.Redis, prefix: str) -> list[str]:
    return [key.decode() for key in client.scan_iter(match=f"{prefix}:*", count=1000)]


def _settled_rss(pid: int) -> int:
    time.sleep(1.0)  # closes and callbacks finish; upkeep runs
    return rss_kib(pid)


def test_ten_thousand_visits_and_a_reload_storm_leave_memory_and_redis_flat(
    board: Callable[..., ServerProcess],
) -> None:
    prefix = f"pywry-mem-{uuid.uuid4().hex[:8]}"
    url = redis_server_url()
    server = board(
        PYWRY_DEPLOY__STATE_BACKEND="redis",
        PYWRY_DEPLOY__REDIS_URL=url,
        PYWRY_DEPLOY__REDIS_PREFIX=prefix,
        PYWRY_DEPLOY__SESSION_TTL=str(TTL),
        PYWRY_DEPLOY__CONNECTION_TTL=str(TTL),
        PYWRY_SERVER__EVENT_RATE="100000",
        PYWRY_SERVER__EVENT_BURST="100000",
    )
    client = redis.Redis.from_url(url)
    widget_keys = set(_keys(client, prefix))
    pid = server.proc.pid

    asyncio.run(_cycles(server.base_url, 0, WARM_UP))
    baseline = _settled_rss(pid)
    asyncio.run(_cycles(server.base_url, WARM_UP, CYCLES - WARM_UP))
    after_cycles = _settled_rss(pid)
    asyncio.run(_reload_storm(server.base_url))
    after_reloads = _settled_rss(pid)
    report = (
        f"RSS KiB: baseline {baseline} after {CYCLES} cycles {after_cycles} "
        f"after {RELOADS} reloads {after_reloads}"
    )
    print(report)
    assert after_cycles - baseline < CYCLE_GROWTH_KIB, report
    assert after_reloads - after_cycles < RELOAD_GROWTH_KIB, report

    left: list[str] = []
    deadline = time.monotonic() + 6 * TTL + 20
    while time.monotonic() < deadline:
        left = [key for key in _keys(client, prefix) if key not in widget_keys]
        if len(left) <= 5:  # the worker's own heartbeat and routing entries
            break
        time.sleep(1)
    assert len(left) <= 5, f"{len(left)} keys outlived their TTL, e.g. {sorted(left)[:10]}"
    assert all(client.ttl(key) != -1 for key in left), "a key without a TTL"
    assert httpx.get(server.base_url + "/readyz", timeout=5).status_code == 200
