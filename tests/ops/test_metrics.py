"""``/metrics`` of a real 2-worker server: every scrape, whichever worker answers it,
reports the traffic both workers served (prometheus-client multiprocess mode)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from servers import ServerProcess, start_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from .conftest import OPS_APP, clean_env

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "scrape-token-0123456789"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        PYWRY_SERVER__WORKERS="2",
        PYWRY_SERVER__METRICS_ENABLED="true",
        PYWRY_DEPLOY__STATE_BACKEND="sqlite",
        PYWRY_DEPLOY__SQLITE_PATH=str(tmp_path / "state" / "metrics.db"),
        PYWRY_SQLITE_KEY="metrics-test-key",
        **extra,
    )


def _parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _scrape(base_url: str) -> tuple[int, Samples]:
    """One scrape and the pid of the worker that answered it (same kept-alive connection)."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        reply = client.get("/metrics")
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"].startswith("text/plain")
        pid = int(client.get("/pid").json()["pid"])
    return pid, _parse(reply.text)


def _scrape_both(base_url: str) -> dict[int, Samples]:
    """Scrapes until each of the two workers answered one (the newest of each)."""
    found: dict[int, Samples] = {}
    for _ in range(200):
        pid, samples = _scrape(base_url)
        found[pid] = samples
        if len(found) == 2:
            return found
    raise AssertionError(f"200 scrapes all answered by {set(found)}")


def _until(base_url: str, done: Any) -> Samples:
    deadline = time.monotonic() + 30
    while True:
        _, samples = _scrape(base_url)
        if done(samples):
            return samples
        assert time.monotonic() < deadline, f"never reached; last scrape: {samples}"
        time.sleep(0.05)


def _hello(ws: ClientConnection, **fields: Any) -> dict[str, Any]:
    ws.send(json.dumps({"type": "hello", "lastSeq": None, **fields}))
    welcome = json.loads(ws.recv(10))
    assert welcome["type"] == "welcome", welcome
    return dict(welcome)


def _frames(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    return [json.loads(ws.recv(10)) for _ in range(count)]


def _socket_traffic(server: ServerProcess) -> None:
    """3 sockets of one page: 3 pings and a failing event, a replay, a reset."""
    page = httpx.get(server.base_url + "/", timeout=10)
    cookie = {"Cookie": f"pywry_anon={page.cookies['pywry_anon']}"}
    label = httpx.get(server.base_url + "/label", timeout=10).json()["label"]
    url = f"{server.base_url.replace('http', 'ws', 1)}/widget/{label}/ws"
    url += f"?client=metrics{secrets.token_hex(4)}"

    with connect(url, additional_headers=cookie, open_timeout=10) as ws:
        welcome = _hello(ws)
        _, live = _scrape_both(server.base_url).popitem()
        assert _value(live, "pywry_websockets_open") == 1  # whichever worker holds it
        for n in range(3):
            ws.send(
                json.dumps({"type": "event", "id": f"p{n}", "event": "app:ping", "data": {"n": n}})
            )
        ws.send(json.dumps({"type": "event", "id": "f", "event": "app:fail", "data": None}))
        frames = _frames(ws, 7)  # 4 acks and 3 pongs
    pongs = [f for f in frames if f["type"] == "event"]
    assert sorted(f["data"]["n"] for f in pongs) == [0, 1, 2]
    vseqs = sorted(f["vseq"] for f in pongs)  # the viewer's log, numbered from the clock
    assert vseqs == list(range(vseqs[0], vseqs[0] + 3))
    viewer, seq = welcome["viewer"], welcome["seq"]

    with connect(url, additional_headers=cookie, open_timeout=10) as ws:  # replays 3 pongs
        _hello(ws, lastSeq=seq, viewer=viewer, viewerSeq=0)
        assert [f["vseq"] for f in _frames(ws, 3)] == vseqs
    with connect(url, additional_headers=cookie, open_timeout=10) as ws:  # ahead: a reset
        _hello(ws, lastSeq=seq, viewer=viewer, viewerSeq=vseqs[-1] + 99)
        assert _frames(ws, 1) == [{"type": "reset", "vseq": 0}]


def test_every_scrape_reports_both_workers_traffic(tmp_path: Path) -> None:
    server = start_server(OPS_APP, tmp_path, env=_env(tmp_path))
    try:
        served: dict[int, int] = {}
        for n in range(400):  # new connections until both workers answered some
            pid = int(httpx.get(f"{server.base_url}/items/{n}", timeout=10).json()["pid"])
            served[pid] = served.get(pid, 0) + 1
            if len(served) == 2 and n >= 19:
                break
        assert len(served) == 2, f"every request went to one worker: {served}"
        items = sum(served.values())
        assert httpx.get(server.base_url + "/no/such/path", timeout=10).status_code == 404
        _socket_traffic(server)

        route = {"method": "GET", "route": "/items/{n}", "status": "200"}
        _until(
            server.base_url,
            lambda s: (
                _value(s, "pywry_http_requests_total", **route) == items
                and _value(s, "pywry_callback_duration_seconds_count") == 4
                and _value(s, "pywry_websockets_open") == 0
            ),
        )
        scrapes = _scrape_both(server.base_url)
        for pid, samples in scrapes.items():
            seen = (pid, samples)
            assert _value(samples, "pywry_http_requests_total", **route) == items, seen
            unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
            assert _value(samples, "pywry_http_requests_total", **unmatched) == 1, seen
            assert _value(samples, "pywry_events_in_total") == 4, seen
            assert _value(samples, "pywry_callback_errors_total") == 1, seen
            assert _value(samples, "pywry_callback_duration_seconds_count") == 4, seen
            assert _value(samples, "pywry_events_out_total", stream="viewer") == 3, seen
            assert _value(samples, "pywry_websocket_connections_total") == 3, seen
            assert _value(samples, "pywry_websocket_reconnects_total") == 2, seen
            assert _value(samples, "pywry_replays_total") == 1, seen
            assert _value(samples, "pywry_resets_total") == 1, seen
            assert _value(samples, "pywry_websockets_open") == 0, seen
            assert _value(samples, "pywry_bus_lag_seconds_count") >= 3, seen
            appends = _value(
                samples, "pywry_backend_call_duration_seconds_count", operation="events.append"
            )
            assert appends >= 3, seen
            paths = {dict(labels).get("route", "") for _, labels in samples}
            assert not any(p.startswith(("/items/0", "/no/")) for p in paths), paths
    finally:
        server.stop()


def test_a_killed_workers_counts_stay_and_its_socket_leaves(tmp_path: Path) -> None:
    server = start_server(OPS_APP, tmp_path, env=_env(tmp_path))
    try:
        # Both workers listening first: each has a socket of its own (reuseport.py), so
        # killing the only one up yet would leave the port refusing until the other is.
        _scrape_both(server.base_url)
        label = httpx.get(server.base_url + "/label", timeout=10).json()["label"]
        url = f"{server.base_url.replace('http', 'ws', 1)}/widget/{label}/ws?client=killtest01"
        with connect(url, open_timeout=10) as ws:
            pid = int(_hello(ws)["workerId"].rsplit("-", 2)[-2])  # <host>-<pid>-<random>
            for n in range(2):
                ping = {"type": "event", "id": f"k{n}", "event": "app:ping", "data": {"n": n}}
                ws.send(json.dumps(ping))
            _frames(ws, 4)
            _until(
                server.base_url,
                lambda s: (
                    _value(s, "pywry_events_in_total") == 2
                    and _value(s, "pywry_websockets_open") == 1
                ),
            )
            os.kill(pid, signal.SIGKILL)  # its socket is never closed by the server
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                ws.recv(30)
        _until(server.base_url, lambda s: _value(s, "pywry_websockets_open") == 0)
        for _ in range(5):  # the dead worker's counters are still in every total
            answered, samples = _scrape(server.base_url)
            assert answered != pid
            assert _value(samples, "pywry_events_in_total") == 2, samples
            assert _value(samples, "pywry_websocket_connections_total") == 1, samples
    finally:
        server.stop()


def test_metrics_need_the_token_when_auth_is_on(tmp_path: Path) -> None:
    env = _env(tmp_path, PYWRY_DEPLOY__AUTH_ENABLED="true", PYWRY_SERVER__METRICS_TOKEN=TOKEN)
    server = start_server(OPS_APP, tmp_path, env=env)
    try:
        url = server.base_url + "/metrics"
        missing = httpx.get(url, timeout=10)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(url, headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 403
        assert "pywry_" not in missing.text + wrong.text
        good = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert good.status_code == 200
        assert "pywry_http_requests_total" in good.text
    finally:
        server.stop()


def test_metrics_off_by_default_is_a_404(tmp_path: Path) -> None:
    env = {k: v for k, v in _env(tmp_path).items() if k != "PYWRY_SERVER__METRICS_ENABLED"}
    server = start_server(OPS_APP, tmp_path, env=env)
    try:
        assert httpx.get(server.base_url + "/metrics", timeout=10).status_code == 404
    finally:
        server.stop()
