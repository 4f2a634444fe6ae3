"""A run-time widget whose owner worker was SIGKILLed is unavailable within the heartbeat
grace, not after ``CONNECTION_TTL``: its events get ``unavailable`` and the notice."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from .conftest import MultiWorker, kill, worker_pid

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

GRACE = 3.0


def _new_widget(mw: MultiWorker) -> dict[str, Any]:
    created = httpx.get(mw.base_url + "/new", timeout=10).json()
    page_url = f"{mw.base_url}/widget/{created['label']}"
    deadline = time.monotonic() + 10  # the record is saved just after the response
    while httpx.get(page_url, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, f"{page_url} never appeared"
        time.sleep(0.05)
    return dict(created)


@contextlib.contextmanager
def _socket_elsewhere(mw: MultiWorker, label: str, avoid_pid: int) -> Iterator[ClientConnection]:
    """A raw socket to ``label`` (hello answered) on a worker other than ``avoid_pid``."""
    url = mw.base_url.replace("http", "ws") + f"/widget/{label}/ws"
    for attempt in range(40):
        with connect(f"{url}?client=deadowner{attempt:04d}") as ws:
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            welcome = json.loads(ws.recv(10))
            assert welcome["type"] == "welcome", welcome
            if worker_pid(welcome["workerId"]) != avoid_pid:
                yield ws
                return
    raise AssertionError(f"every socket landed on worker {avoid_pid}")


def _ack(ws: ClientConnection, frame_id: str, seen: list[dict[str, Any]]) -> str:
    """Send one ``app:note`` event and return the status of its ack."""
    ws.send(json.dumps({"type": "event", "id": frame_id, "event": "app:note", "data": {}}))
    while True:
        frame = json.loads(ws.recv(10))
        seen.append(frame)
        if frame.get("id") == frame_id and frame["type"] in ("ack", "error"):
            return str(frame.get("status", frame.get("code")))


@pytest.mark.parametrize("mw_backend", ["redis"])
def test_events_for_a_killed_owner_get_unavailable_within_the_grace(multiworker) -> None:
    # CONNECTION_TTL stays at its default (300 s): only the heartbeat can tell.
    mw = multiworker(
        workers=2,
        PYWRY_DEPLOY__HEARTBEAT_INTERVAL="1",
        PYWRY_DEPLOY__HEARTBEAT_GRACE=str(GRACE),
    )
    created = _new_widget(mw)
    owner = int(created["pid"])
    seen: list[dict[str, Any]] = []
    with _socket_elsewhere(mw, created["label"], owner) as ws:
        assert _ack(ws, "before", seen) == "ok"
        assert mw.wait_calls("app:note", 1, label=created["label"])[0]["pid"] == owner

        kill(owner)
        killed = time.monotonic()
        statuses: list[str] = []
        deadline = killed + 10 * GRACE  # generous; the old behaviour took CONNECTION_TTL
        while not statuses or statuses[-1] != "unavailable":
            assert time.monotonic() < deadline, f"acks after the kill: {statuses}"
            statuses.append(_ack(ws, f"after-{len(statuses)}", seen))
            time.sleep(0.25)
        took = time.monotonic() - killed
        while not (notices := [f for f in seen if f.get("event") == "pywry:widget-unavailable"]):
            seen.append(json.loads(ws.recv(10)))  # the notice follows the ack
    print(f"\n[dead-owner] grace={GRACE}s acks={statuses} noticed_after={took:.1f}s")
    assert set(statuses) <= {"ok", "unavailable"}
    assert notices and notices[-1]["data"]["label"] == created["label"]
    assert "gone" in notices[-1]["data"]["reason"]
    # the callbacks of the events acked ok before the grace ran nowhere: only the first ran
    assert len(mw.calls("app:note", label=created["label"])) == 1
