"""WebSocket load: round-trip latency, throughput and idle-socket memory, PyWry or echo.

Each measure takes a ``Opener`` (an async function returning a fresh session, see
``_wsclient``) so the same code drives PyWry (protocol sessions on a widget) and the
bare echo baseline:

- ``latency``: one client, sequential round trips after a warm-up (seconds each);
- ``throughput``: ``clients`` closed-loop clients (one event in flight each) for
  ``seconds`` after a warm-up; round trips per second, the server's CPU per round
  trip from ``/proc``, latency percentiles, and how busy this client process was
  (near 100% would mean the client, not the server, is the limit);
- ``idle_rss``: RSS growth of the server's worker per open, idle socket.

    python bench/ws_load.py ws://127.0.0.1:8080 --pid 1234 --label board-0 --label board-1
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import uvloop
from _procs import cpu_seconds, rss_bytes
from _wsclient import EchoSession, PyWrySession

__all__ = ["Opener", "Throughput", "idle_rss", "latency", "percentile", "throughput"]


class Session(Protocol):
    duplicates: int

    async def round_trip(self, event: str, answer: str) -> float: ...

    async def close(self) -> None: ...


Opener = Callable[[], Awaitable[Session]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@dataclass(frozen=True)
class Throughput:
    """A throughput run: all clients together."""

    rate: float  # round trips per second
    cpu_us: float  # server CPU microseconds per round trip
    p50_ms: float
    p99_ms: float
    client_busy: float  # this process's CPU / wall time over the run (1.0 = a full core)
    server_busy: float  # the server's CPU / wall time (below 1: starved or not loaded)
    duplicates: int


async def latency(
    open_session: Opener, event: str, answer: str, *, count: int, warmup: int
) -> list[float]:
    """Seconds per round trip of one client, ``count`` of them after ``warmup``."""
    session = await open_session()
    try:
        for _ in range(warmup):
            await session.round_trip(event, answer)
        return [await session.round_trip(event, answer) for _ in range(count)]
    finally:
        await session.close()


async def throughput(
    open_session: Opener,
    event: str,
    answer: str,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    server_pid: int,
) -> Throughput:
    """``clients`` sessions in closed loops; measured over ``seconds`` after ``warmup``."""
    sessions = [await open_session() for _ in range(clients)]
    measuring = False
    stop = False
    times: list[float] = []

    async def loop(session: Session) -> None:
        while not stop:
            elapsed = await session.round_trip(event, answer)
            if measuring:
                times.append(elapsed)

    tasks = [asyncio.create_task(loop(s)) for s in sessions]
    try:
        await asyncio.sleep(warmup)
        cpu0, own0, wall0 = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
        measuring = True
        await asyncio.sleep(seconds)
        measuring = False
        cpu1, own1, wall1 = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
        count = len(times)
        stop = True
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    finally:
        for task in tasks:
            task.cancel()
        for session in sessions:
            await session.close()
    if count == 0:
        raise RuntimeError("no round trip completed during the run")
    return Throughput(
        rate=count / (wall1 - wall0),
        cpu_us=(cpu1 - cpu0) / count * 1e6,
        p50_ms=statistics.median(times[:count]) * 1000,
        p99_ms=percentile(times[:count], 0.99) * 1000,
        client_busy=(own1 - own0) / (wall1 - wall0),
        server_busy=(cpu1 - cpu0) / (wall1 - wall0),
        duplicates=sum(s.duplicates for s in sessions),
    )


async def idle_rss(open_session: Opener, worker_pid: int, *, sockets: int) -> float:
    """Bytes of the worker's RSS per extra open, idle socket (after 20 warm-up sockets)."""
    warm = [await open_session() for _ in range(20)]
    await asyncio.sleep(0.5)
    before = rss_bytes(worker_pid)
    held = [await open_session() for _ in range(sockets)]
    await asyncio.sleep(1.0)
    after = rss_bytes(worker_pid)
    for session in warm + held:
        await session.close()
    return (after - before) / sockets


def pywry_opener(ws_base: str, labels: list[str]) -> Opener:
    """Sessions on ``labels`` in turn (one widget per client when there are enough)."""
    turn = itertools.cycle(labels)

    async def open_session() -> Session:
        return await PyWrySession.open(ws_base, next(turn))

    return open_session


def echo_opener(ws_base: str) -> Opener:
    async def open_session() -> Session:
        return await EchoSession.open(ws_base)

    return open_session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ws_base", help="ws://host:port of the server")
    parser.add_argument(
        "--label", action="append", help="PyWry widget label(s); without: an echo at /ws"
    )
    parser.add_argument("--pid", type=int, required=True, help="server pid (for its CPU)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    opener = pywry_opener(args.ws_base, args.label) if args.label else echo_opener(args.ws_base)

    async def run() -> None:
        times = await latency(opener, "app:ping", "app:pong", count=500, warmup=50)
        print(f"1 client: p50 {statistics.median(times) * 1000:.3f} ms")
        result = await throughput(
            opener,
            "app:ping",
            "app:pong",
            clients=args.clients,
            seconds=args.seconds,
            warmup=1,
            server_pid=args.pid,
        )
        print(result)

    uvloop.run(run())


if __name__ == "__main__":
    main()
