"""Event round trips through PyWry's server, against a bare FastAPI WebSocket echo.

A client speaking the browser protocol (``websockets`` library) sends an event; the
widget's Python callback answers with ``widget.emit``; the client waits for that
event. Configurations, each a real uvicorn subprocess started by the test harness:

- ``echo``: bare FastAPI/uvicorn echo route (the baseline: what a WebSocket costs);
- ``memory x1``: PyWry, one worker, memory backend;
- ``redis x1``: PyWry, one worker, Redis backend;
- ``redis x4``: PyWry, four workers, Redis backend;
- ``sqlite x1``: PyWry, one worker, SQLite backend (a new SQLCipher-encrypted file);
- ``sqlite x4``: PyWry, four workers sharing one SQLite file (events between workers
  go through its ``bus`` table; a publish wakes the other workers' pollers through
  Unix datagram sockets, polling every 20 ms is the fallback).

Two measures: latency of sequential round trips by one client on the module-level
widget, and throughput of 8 concurrent clients, each on its own run-time widget
(created through ``GET /new``, owned by whichever worker made it: with 4 workers
most events travel socket worker -> owner worker -> socket worker over the bus).

    .venv/bin/python bench/bench_roundtrip.py [--rounds 400] [--clients 8]

Prints a table and writes ``bench/results/roundtrip.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from servers import ServerProcess, start_server  # type: ignore[import-not-found]  # noqa: E402

APP = ROOT / "tests" / "multiworker" / "apps" / "mw_app.py"
ECHO = Path(__file__).resolve().parent / "echo_app.py"
RESULTS = Path(__file__).resolve().parent / "results" / "roundtrip.md"


@dataclass
class Result:
    name: str
    p50_ms: float
    p95_ms: float
    mean_ms: float
    throughput: float  # round trips per second, all clients together


async def _pywry_client(url: str) -> ClientConnection:
    ws = await connect(url, max_size=None)
    await ws.send(json.dumps({"type": "hello", "lastSeq": None}))
    while json.loads(await ws.recv())["type"] != "welcome":
        pass
    return ws


async def _pywry_round(ws: ClientConnection, n: int) -> None:
    await ws.send(
        json.dumps({"type": "event", "id": f"b{n}", "event": "app:ping", "data": {"n": n}})
    )
    while True:
        msg = json.loads(await ws.recv())
        if msg.get("event") == "app:pong" and msg["data"]["n"] == n:
            return


async def _echo_round(ws: ClientConnection, n: int) -> None:
    frame = json.dumps({"type": "event", "id": f"b{n}", "event": "app:ping", "data": {"n": n}})
    await ws.send(frame)
    while json.loads(await ws.recv())["data"]["n"] != n:
        pass


async def _latency(url: str, rounds: int, echo: bool) -> list[float]:
    ws = await (connect(url) if echo else _pywry_client(url))
    run = _echo_round if echo else _pywry_round
    async with ws:
        for n in range(20):  # warm-up
            await run(ws, -1 - n)
        times = []
        for n in range(rounds):
            start = time.perf_counter()
            await run(ws, n)
            times.append(time.perf_counter() - start)
    return times


async def _throughput(urls: list[str], rounds: int, echo: bool) -> float:
    run = _echo_round if echo else _pywry_round

    async def client(url: str, base: int) -> None:
        ws = await (connect(url) if echo else _pywry_client(url))
        async with ws:
            for n in range(rounds):
                await run(ws, base + n)

    start = time.perf_counter()
    await asyncio.gather(*(client(url, i * 1_000_000) for i, url in enumerate(urls)))
    return len(urls) * rounds / (time.perf_counter() - start)


def _measure(name: str, server: ServerProcess, rounds: int, clients: int, echo: bool) -> Result:
    ws_base = server.base_url.replace("http://", "ws://")
    if echo:
        single, many = ws_base + "/ws", [ws_base + "/ws"] * clients
    else:
        label = httpx.get(server.base_url + "/whoami").json()["label"]
        single = f"{ws_base}/widget/{label}/ws?client=bench{uuid.uuid4().hex[:8]}"
        many = []
        for _ in range(clients):
            own = httpx.get(server.base_url + "/new").json()["label"]
            time.sleep(0.05)  # the record is saved just after the response
            many.append(f"{ws_base}/widget/{own}/ws?client=bench{uuid.uuid4().hex[:8]}")
    times = asyncio.run(_latency(single, rounds, echo))
    rate = asyncio.run(_throughput(many, max(1, rounds // clients * 2), echo))
    ordered = sorted(times)
    return Result(
        name,
        p50_ms=statistics.median(times) * 1000,
        p95_ms=ordered[int(len(ordered) * 0.95) - 1] * 1000,
        mean_ms=statistics.fmean(times) * 1000,
        throughput=rate,
    )


def _configs(redis_url: str, tmp: Path) -> list[tuple[str, Path, dict[str, str]]]:
    def pywry(backend: str, workers: int) -> dict[str, str]:
        env = {
            "PYWRY_SERVER__WORKERS": str(workers),
            "PYWRY_SERVER__LOG_LEVEL": "warning",
            "PYWRY_SERVER__ACCESS_LOG": "false",
            "PYWRY_DEPLOY__STATE_BACKEND": backend,
            "PYWRY_TEST_CALL_LOG": "",
        }
        if backend == "redis":
            env["PYWRY_DEPLOY__REDIS_URL"] = redis_url
            env["PYWRY_DEPLOY__REDIS_PREFIX"] = f"pywry-bench-{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            env["PYWRY_DEPLOY__SQLITE_PATH"] = str(tmp / f"bench-{uuid.uuid4().hex[:8]}.db")
            env["PYWRY_SQLITE_KEY"] = "bench-key-not-secret"
        return env

    return [
        ("echo (bare FastAPI WebSocket)", ECHO, {}),
        ("PyWry memory x1", APP, pywry("memory", 1)),
        ("PyWry redis x1", APP, pywry("redis", 1)),
        ("PyWry redis x4", APP, pywry("redis", 4)),
        ("PyWry sqlite x1", APP, pywry("sqlite", 1)),
        ("PyWry sqlite x4", APP, pywry("sqlite", 4)),
    ]


def _table(results: list[Result]) -> str:
    base = results[0]
    lines = [
        "| configuration | p50 ms | p95 ms | mean ms | p50 vs echo | "
        "round trips/s (8 clients) | vs echo |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.p50_ms:.2f} | {r.p95_ms:.2f} | {r.mean_ms:.2f} | "
            f"{r.p50_ms / base.p50_ms:.1f}x | {r.throughput:.0f} | "
            f"{r.throughput / base.throughput:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    from pywry_state_redis.testing import redis_server_url

    redis_url = redis_server_url()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, script, env in _configs(redis_url, Path(tmp)):
            server = start_server(script, Path(tmp), env=env)
            try:
                if "x4" in name:
                    time.sleep(3)  # let every worker finish starting
                results.append(_measure(name, server, args.rounds, args.clients, "echo" in name))
            finally:
                server.stop()
            print(f"{name}: done", file=sys.stderr)
    table = _table(results)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Event round trips\n\n"
        f"`bench/bench_roundtrip.py --rounds {args.rounds} --clients {args.clients}`, "
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, Redis at {redis_url.split('@')[-1]}, SQLite: a new "
        "SQLCipher-encrypted file in a temporary directory.\n\n"
        "Latency: one client, sequential round trips (send event -> sync callback -> "
        "`widget.emit` -> receive) on the module-level widget. Throughput: "
        f"{args.clients} concurrent clients, each on its own run-time widget.\n\n"
        f"{table}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
