"""An upload whose pieces land on two workers in turn (Redis, SQLite).

Two single-worker servers share one backend, as two workers behind a load balancer:
the upload starts on worker 1, its pieces go to worker 1 and worker 2 alternately,
and it ends on worker 2, whose callback reads the whole file back (sha256 checked).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from servers import ServerProcess
from websockets.sync.client import connect

from .conftest import recv_event, two_servers

APP = Path(__file__).resolve().parent / "apps" / "upload_app.py"
PIECE = 1024 * 1024
SIZE = 20 * PIECE + 12345


@pytest.mark.parametrize(
    "shared_env", [pytest.param("redis", marks=pytest.mark.redis), "sqlite"], indirect=True
)
def test_upload_pieces_alternate_between_two_workers(
    shared_env: dict[str, str], tmp_path: Path
) -> None:
    one, two = two_servers(APP, tmp_path, shared_env)
    data, small = os.urandom(SIZE), b"x,y\n"
    try:
        page = httpx.get(one.base_url + "/widget/uploads", timeout=10)
        cookie = page.cookies["pywry_anon"]
        headers = {"Cookie": f"pywry_anon={cookie}"}
        match = re.search(r'"wsPath":\s*"([^"]+)"', page.text)
        assert match
        ws_url = one.base_url.replace("http", "ws", 1) + match.group(1) + "?client=uploadsclient1"
        base = "/widget/uploads/upload"
        with connect(ws_url, additional_headers=headers) as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None, "viewer": None}))
            viewer = json.loads(ws.recv(10))["viewer"]
            files = [
                {"name": "big.bin", "size": SIZE, "type": ""},
                {"name": "s.csv", "size": len(small), "type": "text/csv"},
            ]
            body = {"viewer": viewer, "componentId": "data", "files": files}
            started = time.monotonic()
            plan = httpx.post(one.base_url + base, json=body, headers=headers, timeout=10)
            assert plan.status_code == 201, plan.text
            token = plan.json()["token"]
            workers = [one, two]
            with httpx.Client(timeout=30, headers=headers) as client:
                for number, at in enumerate(range(0, SIZE, PIECE)):
                    server = workers[number % 2]
                    url = f"{server.base_url}{base}/{token}/0/{number}"
                    put = client.put(url, content=data[at : at + PIECE])
                    assert put.status_code == 200, put.text
                put = client.put(f"{two.base_url}{base}/{token}/1/0", content=small)
                assert put.status_code == 200, put.text
                uploaded = time.monotonic() - started
                done = client.post(f"{two.base_url}{base}/{token}/done")
                assert done.status_code == 202, done.text
            got = recv_event(ws, "app:got", 60)["data"]
            total = time.monotonic() - started
        assert got["files"] == [
            {"name": "big.bin", "size": SIZE, "sha256": hashlib.sha256(data).hexdigest()},
            {"name": "s.csv", "size": len(small), "sha256": hashlib.sha256(small).hexdigest()},
        ]
        print(
            f"\n[upload {shared_env['PYWRY_DEPLOY__STATE_BACKEND']}] bytes={SIZE + len(small)} "
            f"pieces=22 alternating workers upload={uploaded:.2f}s "
            f"({SIZE / uploaded / 1e6:.0f} MB/s) to-callback-read={total:.2f}s"
        )
    finally:
        one.stop()
        two.stop()


@pytest.mark.parametrize(
    "shared_env", [pytest.param("redis", marks=pytest.mark.redis), "sqlite"], indirect=True
)
def test_a_run_time_widget_takes_uploads_through_another_worker(
    shared_env: dict[str, str], tmp_path: Path
) -> None:
    """The widget is made on worker 1 (its callbacks live there); the page, its socket
    and every upload request go to worker 2; worker 1's callback reads the whole file.
    Once worker 1 is gone, ``done`` answers 503 ``widget_unavailable``."""
    one, two = two_servers(APP, tmp_path, shared_env)
    data = os.urandom(5 * PIECE + 777)
    try:
        made = httpx.get(one.base_url + "/new", timeout=10).json()
        label = made["label"]
        page = httpx.get(f"{two.base_url}/widget/{label}", timeout=10)
        assert page.status_code == 200, page.text
        headers = {"Cookie": f"pywry_anon={page.cookies['pywry_anon']}"}
        match = re.search(r'"wsPath":\s*"([^"]+)"', page.text)
        assert match
        ws_url = two.base_url.replace("http", "ws", 1) + match.group(1) + "?client=runtimeup001"
        base = f"{two.base_url}/widget/{label}/upload"
        files = [{"name": "run.bin", "size": len(data), "type": ""}]
        with (
            connect(ws_url, additional_headers=headers) as ws,
            httpx.Client(timeout=30, headers=headers) as client,
        ):
            ws.send(json.dumps({"type": "hello", "lastSeq": None, "viewer": None}))
            welcome = json.loads(ws.recv(10))
            assert welcome["workerId"] != made["worker"]
            body = {"viewer": welcome["viewer"], "componentId": "data", "files": files}
            started = time.monotonic()
            token = _upload(client, base, body, data)
            done = client.post(f"{base}/{token}/done")
            assert done.status_code == 202, done.text
            got = recv_event(ws, "app:got", 60)["data"]
            took = time.monotonic() - started
            assert got["pid"] == made["pid"]  # worker 1's callback
            assert got["files"] == [
                {"name": "run.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            ]
            again = client.post(f"{base}/{token}/done")
            assert again.status_code == 409 and again.json()["error"] == "upload_finished"
            second = _upload(client, base, body, data)
            one.stop()
            gone = client.post(f"{base}/{second}/done")
            assert gone.status_code == 503, gone.text
            assert gone.json()["error"] == "widget_unavailable"
            assert "gone" in gone.json()["detail"]
        print(
            f"\n[run-time upload {shared_env['PYWRY_DEPLOY__STATE_BACKEND']}] "
            f"bytes={len(data)} via worker 2, callback on worker 1: {took:.2f}s"
        )
    finally:
        one.stop()
        two.stop()


def _upload(client: httpx.Client, base: str, body: dict[str, object], data: bytes) -> str:
    """Start an upload of ``data`` as the one file of ``body`` and send its pieces."""
    plan = client.post(base, json=body)
    assert plan.status_code == 201, plan.text
    token = str(plan.json()["token"])
    for number, at in enumerate(range(0, len(data), PIECE)):
        put = client.put(f"{base}/{token}/0/{number}", content=data[at : at + PIECE])
        assert put.status_code == 200, put.text
    return token


@pytest.mark.parametrize(
    "shared_env", [pytest.param("redis", marks=pytest.mark.redis), "sqlite"], indirect=True
)
def test_the_bound_on_uploads_going_on_holds_across_workers(
    shared_env: dict[str, str], tmp_path: Path
) -> None:
    """``UPLOAD_MAX_ACTIVE=2``: one start on each worker takes both slots, a third on
    either is refused; a failed upload and a finished one each free their slot; of 12
    starts at once on both workers, at most 2 are admitted."""
    env = {**shared_env, "PYWRY_DEPLOY__UPLOAD_MAX_ACTIVE": "2"}
    one, two = two_servers(APP, tmp_path, env)
    try:
        page = httpx.get(one.base_url + "/widget/uploads", timeout=10)
        headers = {"Cookie": f"pywry_anon={page.cookies['pywry_anon']}"}
        match = re.search(r'"wsPath":\s*"([^"]+)"', page.text)
        assert match
        ws_url = one.base_url.replace("http", "ws", 1) + match.group(1) + "?client=uploadbound1"
        path = "/widget/uploads/upload"
        with (
            connect(ws_url, additional_headers=headers) as ws,
            httpx.Client(timeout=30, headers=headers) as client,
        ):
            ws.send(json.dumps({"type": "hello", "lastSeq": None, "viewer": None}))
            viewer = json.loads(ws.recv(10))["viewer"]
            files = [{"name": "a.bin", "size": 3, "type": ""}]
            body = {"viewer": viewer, "componentId": "data", "files": files}

            def start(server: ServerProcess) -> httpx.Response:
                return client.post(server.base_url + path, json=body)

            first, second = start(one), start(two)
            assert (first.status_code, second.status_code) == (201, 201)
            for server in (one, two):
                third = start(server)
                assert third.status_code == 429, third.text
                assert third.json()["error"] == "upload_busy"
                assert "the limit is 2" in third.json()["detail"]
            token = first.json()["token"]
            cut = client.put(f"{two.base_url}{path}/{token}/0/0", content=b"a")
            assert cut.status_code == 400  # a truncated piece: the page gives the batch up
            fourth = start(one)
            assert fourth.status_code == 201, fourth.text
            assert start(two).status_code == 429
            token = second.json()["token"]
            put = client.put(f"{one.base_url}{path}/{token}/0/0", content=b"abc")
            assert put.status_code == 200, put.text
            assert client.post(f"{one.base_url}{path}/{token}/done").status_code == 202
            assert start(two).status_code == 201
            assert start(one).status_code == 429
        # A burst: 12 starts of a fresh viewer at once, half on each worker.
        with connect(ws_url, additional_headers=headers) as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None, "viewer": None}))
            body = {**body, "viewer": json.loads(ws.recv(10))["viewer"]}
            with (
                httpx.Client(timeout=30, headers=headers) as client,
                ThreadPoolExecutor(12) as pool,
            ):
                urls = [(one, two)[n % 2].base_url + path for n in range(12)]
                codes = sorted(pool.map(lambda url: client.post(url, json=body).status_code, urls))
        admitted = codes.count(201)
        assert 1 <= admitted <= 2 and codes.count(429) == 12 - admitted, codes
        backend = shared_env["PYWRY_DEPLOY__STATE_BACKEND"]
        print(f"\n[upload bound {backend}] burst of 12 on 2 workers: {admitted} admitted")
    finally:
        one.stop()
        two.stop()
