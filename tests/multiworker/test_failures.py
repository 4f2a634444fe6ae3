"""Failures a multi-worker deploy survives: a killed worker, a dropped socket (on Redis
and on SQLite), Redis restarting, Redis missing at start-up. Each test prints what it
sent and received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pywry_state_redis.testing import ThrowawayRedis, free_port
from websockets.sync.client import connect

from .conftest import MW_APP, MultiWorker, got, kill, open_widget, wait_got, worker_pid

pytestmark = pytest.mark.e2e

EVENTS = ["app:tick", "app:region-done"]
SEND_NOTES = "([a, b]) => { for (let i = a; i < b; i++) window.pywry.emit('app:note', {i}); }"


def _emit(mw: MultiWorker, n: int, start: int) -> int:
    reply = httpx.get(mw.base_url + "/emit", params={"n": n, "start": start}, timeout=10)
    assert reply.status_code == 200, reply.text
    return int(reply.json()["pid"])


def _block(page: Any, blocked: bool, *, drop: bool = False) -> None:
    page.evaluate(
        "([blocked, drop]) => { window.__block = blocked;"
        " if (drop) window.__sockets.forEach((s) => s.close()); }",
        [blocked, drop],
    )


def _wait_logged(mw: MultiWorker, count: int) -> None:
    """Wait until the board's replay log holds ``count`` events (so they are really missed)."""
    label = httpx.get(mw.base_url + "/whoami", timeout=10).json()["label"]
    deadline = time.monotonic() + 20
    while len(mw.backend_call(lambda b: b.events.since(label, 0))) < count:
        assert time.monotonic() < deadline, f"the log never held {count} events"
        time.sleep(0.1)


def _settled_notes(mw: MultiWorker, count: int) -> list[int]:
    mw.wait_calls("app:note", count)
    time.sleep(1.5)  # a callback run twice would be in the log by now
    return sorted(int(c["data"]["i"]) for c in mw.calls("app:note"))


def _report(name: str, **numbers: Any) -> None:
    print(f"\n[{name}] " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


def test_killed_worker_page_reconnects_and_carries_on(multiworker, fresh_page) -> None:
    mw = multiworker()
    page = fresh_page(controlled=True)
    victim = worker_pid(open_widget(page, mw.base_url + "/", EVENTS))
    _emit(mw, 10, 0)
    wait_got(page, "app:tick", 10)
    page.evaluate(SEND_NOTES, [0, 5])
    page.wait_for_function("() => window.pywry.pending() === 0")

    _block(page, True)  # keep the page away while things happen
    kill(victim)
    page.wait_for_function("() => window.pywry.state === 'reconnecting'", timeout=15000)
    emitters = {_emit(mw, 10, 10), _emit(mw, 10, 20)}
    page.evaluate(SEND_NOTES, [5, 15])
    assert page.evaluate("window.pywry.pending()") == 10
    _wait_logged(mw, 30)
    # still away: between attempts ("reconnecting") or inside one that will fail ("connecting")
    assert page.evaluate("window.pywry.state") in ("reconnecting", "connecting")
    _block(page, False)

    page.wait_for_function("() => window.pywry.state === 'open'", timeout=30000)
    ticks = [t["i"] for t in wait_got(page, "app:tick", 30)]
    page.wait_for_function("() => window.pywry.pending() === 0", timeout=30000)
    notes = _settled_notes(mw, 15)
    ticks = [t["i"] for t in got(page, "app:tick")]
    new_pid = worker_pid(str(page.evaluate("window.pywry.workerId")))
    _report(
        "kill-worker",
        killed=victim,
        reconnected_to=new_pid,
        emitted_by=sorted(emitters),
        python_events_sent=30,
        received=len(ticks),
        duplicates=len(ticks) - len(set(ticks)),
        browser_events_sent=15,
        callbacks_run=len(notes),
        run_twice=len(notes) - len(set(notes)),
    )
    assert new_pid != victim
    assert sorted(ticks) == list(range(30)) and len(ticks) == 30
    assert notes == list(range(15))
    page.get_by_label("Region").select_option("north")  # and it carries on
    assert wait_got(page, "app:region-done", 1)[0]["value"] == "north"


def test_dropped_socket_gets_every_event_in_order(multiworker, fresh_page) -> None:
    mw = multiworker()
    page = fresh_page(controlled=True)
    first = worker_pid(open_widget(page, mw.base_url + "/", EVENTS))
    _emit(mw, 3, 0)
    wait_got(page, "app:tick", 3)
    _block(page, True, drop=True)
    page.wait_for_function("() => window.pywry.state === 'reconnecting'", timeout=15000)
    count = 50
    _emit(mw, count, 3)  # one request: one worker emits them in this order
    page.evaluate(SEND_NOTES, [0, 5])
    _wait_logged(mw, 3 + count)
    assert len(got(page, "app:tick")) == 3  # nothing arrived while away
    _block(page, False)
    page.wait_for_function("() => window.pywry.state === 'open'", timeout=30000)
    wait_got(page, "app:tick", 3 + count)
    notes = _settled_notes(mw, 5)
    ticks = [t["i"] for t in got(page, "app:tick")]
    sockets = int(page.evaluate("window.__sockets.length"))
    _report(
        "dropped-socket",
        first_worker=first,
        now_worker=worker_pid(str(page.evaluate("window.pywry.workerId"))),
        sockets_opened=sockets,
        sent_while_away=count,
        received_total=len(ticks),
        duplicates=len(ticks) - len(set(ticks)),
        browser_events_sent=5,
        callbacks_run=len(notes),
    )
    assert ticks == list(range(3 + count))
    assert notes == list(range(5))


def _wait_status(url: str, status: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == status:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered {status}")


@pytest.mark.redis
@pytest.mark.parametrize("mw_backend", ["redis"])
def test_redis_restart_server_recovers_without_restart(
    multiworker, fresh_page, tmp_path: Path
) -> None:
    redis = ThrowawayRedis()
    redis.start()
    try:
        mw = multiworker(workers=2, redis_url=redis.url, PYWRY_DEPLOY__CONNECTION_TTL="3")
        created = httpx.get(mw.base_url + "/new", timeout=10).json()
        label_url = f"{mw.base_url}/widget/{created['label']}"
        _wait_status(label_url, 200)
        board = httpx.get(mw.base_url + "/whoami", timeout=10).json()["label"]
        page = fresh_page(controlled=True)
        open_widget(page, mw.base_url + "/", EVENTS)
        _emit(mw, 5, 0)
        wait_got(page, "app:tick", 5)
        ws_url = mw.base_url.replace("http", "ws") + f"/widget/{board}/ws?client=rawclient01"
        with connect(ws_url) as raw:
            raw.send(json.dumps({"type": "hello", "lastSeq": None}))
            assert json.loads(raw.recv(10))["type"] == "welcome"

            redis.stop()
            _wait_status(mw.base_url + "/readyz", 503)
            missing = httpx.get(mw.base_url + "/widget/no-such-widget", timeout=10)
            assert missing.status_code == 503, missing.text
            assert missing.json()["error"] == "backend_unavailable"
            raw.send(json.dumps({"type": "event", "id": "e1", "event": "app:note", "data": {}}))
            reply = json.loads(raw.recv(10))
            assert reply["type"] == "error" and reply["code"] == "unavailable", reply
            raw.send(json.dumps({"type": "ping"}))
            assert json.loads(raw.recv(10)) == {"type": "pong"}  # the socket stayed open
            page.evaluate(SEND_NOTES, [0, 1])  # kept by the bridge, resent later
            assert page.evaluate("window.pywry.state") == "open"

            redis.start()
            for _ in range(6):
                _wait_status(mw.base_url + "/readyz", 200)
        deadline = time.monotonic() + 30
        while {board, created["label"]} - set(mw.backend_call(lambda b: b.widgets.active())):
            assert time.monotonic() < deadline, "widgets were not registered again"
            time.sleep(0.2)
        _wait_status(label_url, 200)
        _emit(mw, 5, 5)
        ticks = [t["i"] for t in wait_got(page, "app:tick", 10)]
        notes = _settled_notes(mw, 1)
        sockets = int(page.evaluate("window.__sockets.length"))
        _report(
            "redis-restart",
            events_before=5,
            events_after=5,
            received=len(ticks),
            duplicates=len(ticks) - len(set(ticks)),
            browser_events_sent_during_outage=1,
            callbacks_run=len(notes),
            page_sockets_opened=sockets,
        )
        assert ticks == list(range(10))
        assert notes == [0]
        assert sockets == 1  # the page's socket stayed open through the outage
        assert page.evaluate("window.pywry.state") == "open"
    finally:
        redis.stop()


@pytest.mark.redis
@pytest.mark.parametrize("workers", [1, 4])
def test_unreachable_redis_stops_startup_once(tmp_path: Path, workers: int) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(MW_APP)],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYWRY_SERVER__PORT": str(free_port()),
            "PYWRY_SERVER__WORKERS": str(workers),
            "PYWRY_DEPLOY__STATE_BACKEND": "redis",
            "PYWRY_DEPLOY__REDIS_URL": dead,
        },
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    _report("unreachable-redis", workers=workers, seconds=round(time.monotonic() - started, 1))
    assert result.returncode == 1, result.stderr
    assert "PYWRY_DEPLOY__REDIS_URL" in result.stderr
    assert result.stderr.count("PyWry cannot start") == 1
    assert "Started parent process" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
