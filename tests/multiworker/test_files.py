"""A 200 MB download prepared on one worker and fetched through another (Redis, SQLite).

Two single-worker servers share one backend (a private redis-server, or one SQLite
file), as two workers behind a load balancer do: the callback runs on worker 1, the
GET lands on worker 2. Both workers' peak RSS growth is measured (``VmHWM`` after a
reset) and must stay under :data:`RSS_BOUND`: neither ever holds the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from servers import ServerProcess
from websockets.sync.client import connect

from .conftest import recv_event, two_servers

APP = Path(__file__).resolve().parent / "apps" / "files_app.py"
SIZE = 200 * 1000 * 1000
#: Largest peak RSS growth allowed to either worker while the file goes through.
RSS_BOUND = 64 * 1024 * 1024
BLOCK = 1024 * 1024


def _expected_digest(size: int) -> str:
    digest = hashlib.sha256()
    for index in range(0, size, BLOCK):
        block = hashlib.sha256(index.to_bytes(8, "big")).digest() * (BLOCK // 32)
        digest.update(block[: min(BLOCK, size - index)])
    return digest.hexdigest()


def _rss(server: ServerProcess, reset: bool = False) -> dict[str, int]:
    reply = httpx.get(server.base_url + "/rss", params={"reset": int(reset)}, timeout=10)
    return dict(reply.json())


@pytest.mark.parametrize(
    "shared_env", [pytest.param("redis", marks=pytest.mark.redis), "sqlite"], indirect=True
)
def test_200mb_download_prepared_on_one_worker_fetched_on_another(
    shared_env: dict[str, str], tmp_path: Path
) -> None:
    one, two = two_servers(APP, tmp_path, shared_env)
    try:
        page = httpx.get(one.base_url + "/", timeout=10)
        cookie = page.cookies["pywry_anon"]
        match = re.search(r'"wsPath":\s*"([^"]+)"', page.text)
        assert match
        ws_url = one.base_url.replace("http", "ws", 1) + match.group(1) + "?client=filesclient1"
        before = {"one": _rss(one, reset=True), "two": _rss(two, reset=True)}
        assert before["one"]["pid"] != before["two"]["pid"]
        with connect(ws_url, additional_headers={"Cookie": f"pywry_anon={cookie}"}) as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None, "viewer": None}))
            assert json.loads(ws.recv(10))["type"] == "welcome"
            started = time.monotonic()
            ws.send(
                json.dumps(
                    {"type": "event", "id": "m1", "event": "app:make", "data": {"size": SIZE}}
                )
            )
            offer = recv_event(ws, "pywry:download", 300)["data"]
            made = recv_event(ws, "app:made", 30)["data"]
            prepared = time.monotonic() - started
        assert made["pid"] == before["one"]["pid"] and offer["size"] == SIZE
        digest, received = hashlib.sha256(), 0
        started = time.monotonic()
        headers = {"Cookie": f"pywry_anon={cookie}"}
        with httpx.stream("GET", two.base_url + offer["url"], headers=headers, timeout=60) as got:
            assert got.status_code == 200, got.read()
            assert got.headers["content-length"] == str(SIZE)
            for piece in got.iter_raw(1024 * 1024):
                digest.update(piece)
                received += len(piece)
        fetched = time.monotonic() - started
        assert received == SIZE
        assert digest.hexdigest() == _expected_digest(SIZE)
        after = {"one": _rss(one), "two": _rss(two)}
        growth = {k: (after[k]["hwm_kib"] - before[k]["rss_kib"]) * 1024 for k in after}
        print(
            f"\n[200MB download {shared_env['PYWRY_DEPLOY__STATE_BACKEND']}] bytes={SIZE} "
            f"prepare={prepared:.1f}s (callback {made['seconds']:.1f}s) fetch={fetched:.1f}s "
            f"({SIZE / fetched / 1e6:.0f} MB/s) "
            f"rss_before_kib=({before['one']['rss_kib']}, {before['two']['rss_kib']}) "
            f"peak_growth_mib=(worker1 {growth['one'] / 2**20:.1f}, "
            f"worker2 {growth['two'] / 2**20:.1f}) bound={RSS_BOUND / 2**20:.0f}MiB"
        )
        for name, grown in growth.items():
            assert grown < RSS_BOUND, f"worker {name} grew by {grown / 2**20:.1f} MiB"
    finally:
        one.stop()
        two.stop()
