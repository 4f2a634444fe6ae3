"""ctx.progress and Cancel over the real protocol: sync and async callbacks, other
viewers, events answered meanwhile, and a cancel sent through another worker (Redis)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from pywry.config import load_settings
from pywry.context import EventContext
from pywry.registry import load_state_backend
from pywry.runtime import Runtime
from pywry.widgets.widget import Widget
from pywry_server import create_app
from pywry_state_redis.testing import redis_server_url
from starlette.testclient import TestClient

ANON = "pywry_anon"


def open_page(
    client: TestClient, cookie: str, viewer: str | None = None, client_id: str = "progress01"
) -> tuple[Any, Any, dict[str, Any]]:
    ws = client.websocket_connect(
        f"/widget/demo/ws?client={client_id}", headers={"cookie": f"{ANON}={cookie}"}
    )
    socket = ws.__enter__()
    socket.send_json({"type": "hello", "lastSeq": None, "viewer": viewer, "viewerSeq": 0})
    welcome: dict[str, Any] = socket.receive_json()
    assert welcome["type"] == "welcome", welcome
    return ws, socket, welcome


def send(socket: Any, event: str, data: Any, frame_id: str) -> None:
    socket.send_json({"type": "event", "id": frame_id, "event": event, "data": data})


def until(socket: Any, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = socket.receive_json()
        if frame["type"] == "event" and check(frame):
            return frame


def is_event(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda frame: frame["event"] == name


def long_work(widget: Widget, seen: list[str], *, kind: str) -> None:
    """``app:long``: 5 s of work in 50 steps, reporting progress; ``app:ping`` answers."""

    def sync_long(data: Any, event: str, label: str, ctx: EventContext) -> None:
        for step in range(50):
            if ctx.cancelled:
                seen.append(f"cancelled at {step}")
                return
            ctx.progress(step / 50, f"step {step}")
            time.sleep(0.1)
        seen.append("finished")

    async def async_long(data: Any, event: str, label: str, ctx: EventContext) -> None:
        try:
            for step in range(50):
                ctx.progress(step / 50, f"step {step}")
                await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            seen.append(f"cancelled, ctx.cancelled={ctx.cancelled}")
            raise
        seen.append("finished")

    widget.on("app:long", sync_long if kind == "sync" else async_long)
    widget.on("app:ping", lambda data, *_: widget.emit("app:pong", data))


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_progress_then_cancel_while_other_events_are_answered(
    add_widget: Any, make_client: Any, kind: str
) -> None:
    seen: list[str] = []
    long_work(add_widget(), seen, kind=kind)
    client = make_client()
    ws, socket, _ = open_page(client, "browser-a-0123456789abcdef")
    send(socket, "app:long", {}, "long")
    first = until(socket, is_event("pywry:progress"))["data"]
    assert first["fraction"] == 0 and first["message"] == "step 0" and first["id"]
    send(socket, "app:ping", {"n": 1}, "ping")  # answered while the work goes on
    assert until(socket, is_event("app:pong"))["data"] == {"n": 1}
    moved = until(socket, lambda f: f["event"] == "pywry:progress" and f["data"]["fraction"] > 0)
    assert moved["data"]["id"] == first["id"] and 0 < moved["data"]["fraction"] < 1
    assert seen == []
    send(socket, "pywry:cancel", {"id": first["id"]}, "cancel")
    done = until(socket, lambda f: f["event"] == "pywry:progress" and f["data"].get("done"))
    assert done["data"] == {"id": first["id"], "done": True, "cancelled": True}
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.02)
    expected = "cancelled at" if kind == "sync" else "cancelled, ctx.cancelled=True"
    assert len(seen) == 1 and seen[0].startswith(expected), seen
    ws.__exit__(None, None, None)


def test_another_viewer_cannot_cancel(add_widget: Any, make_client: Any) -> None:
    seen: list[str] = []
    widget = add_widget()

    def short(data: Any, event: str, label: str, ctx: EventContext) -> None:
        for step in range(10):
            ctx.progress(step / 10)
            time.sleep(0.1)
        seen.append(f"finished, cancelled={ctx.cancelled}")

    widget.on("app:long", short)
    client = make_client()
    ws_a, socket_a, _ = open_page(client, "browser-a-0123456789abcdef", client_id="pagea0001")
    ws_b, socket_b, _ = open_page(client, "browser-b-0123456789abcdef", client_id="pageb0001")
    send(socket_a, "app:long", {}, "long")
    run_id = until(socket_a, is_event("pywry:progress"))["data"]["id"]
    send(socket_b, "pywry:cancel", {"id": run_id}, "cancel")
    send(socket_b, "pywry:cancel", {"id": 5}, "bad")  # malformed: ignored, acknowledged
    done = until(socket_a, lambda f: f["event"] == "pywry:progress" and f["data"].get("done"))
    assert done["data"]["cancelled"] is False
    assert seen == ["finished, cancelled=False"]
    ws_a.__exit__(None, None, None)
    ws_b.__exit__(None, None, None)


def test_progress_validates_and_is_throttled(add_widget: Any, make_client: Any) -> None:
    widget = add_widget()
    errors: list[str] = []

    def burst(data: Any, event: str, label: str, ctx: EventContext) -> None:
        for step in range(1000):  # far faster than MIN_INTERVAL: most are dropped
            ctx.progress(step / 1000)
        ctx.progress(1.5, "all done")  # clamped, and the last is always sent
        for bad in ("half", float("nan")):
            try:
                ctx.progress(bad)  # type: ignore[arg-type]
            except (TypeError, ValueError) as exc:
                errors.append(type(exc).__name__)

    widget.on("app:burst", burst)
    client = make_client()
    ws, socket, _ = open_page(client, "browser-a-0123456789abcdef")
    send(socket, "app:burst", {}, "burst")
    frames = [until(socket, is_event("pywry:progress"))]
    while not frames[-1]["data"].get("done"):
        frames.append(until(socket, is_event("pywry:progress")))
    assert len(frames) <= 5, [f["data"] for f in frames]
    assert frames[-2]["data"]["fraction"] == 1.0 and frames[-2]["data"]["message"] == "all done"
    assert errors == ["TypeError", "ValueError"]
    ws.__exit__(None, None, None)


# -- across workers (Redis, SQLite): the socket that cancels is on another worker -------


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "sqlite"])
def two_workers(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, TestClient, list[str]]]:
    """Two workers (apps) on one shared backend, each defining the same widget."""
    name = request.param
    url = prefix = ""
    deploy: dict[str, Any] = {"state_backend": name}
    if name == "redis":
        url, prefix = redis_server_url(), f"pywry-progress-{uuid.uuid4().hex[:8]}"
        deploy.update(redis_url=url, redis_prefix=prefix)
    else:
        monkeypatch.setenv("PYWRY_SQLITE_KEY", "progress-test-key")
        deploy.update(sqlite_path=str(tmp_path / "state.db"))
    backend_cls = load_state_backend(name)
    settings = load_settings(deploy=deploy)
    seen: list[str] = []
    clients = []
    for worker_id in ("worker-one", "worker-two"):
        runtime = Runtime()
        widget = Widget(runtime, label="demo", title="Demo", content="<p>x</p>")
        runtime.add(widget)
        long_work(widget, seen, kind="sync")
        app: FastAPI = create_app(
            settings=settings, backend_cls=backend_cls, runtime=runtime, worker_id=worker_id
        )
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
    yield clients[0], clients[1], seen
    for client in reversed(clients):
        client.__exit__(None, None, None)
    if name != "redis":
        return
    connection = redis.Redis.from_url(url)
    keys = list(connection.scan_iter(match=f"{prefix}:*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def test_cancel_reaches_the_worker_running_the_callback(two_workers: Any) -> None:
    one, two, seen = two_workers
    cookie = "browser-a-0123456789abcdef"
    ws_one, socket_one, welcome = open_page(one, cookie, client_id="moving01")
    send(socket_one, "app:long", {}, "long")
    run_id = until(socket_one, is_event("pywry:progress"))["data"]["id"]
    # The same page, its socket now on worker two (a reconnect behind a load balancer).
    ws_two, socket_two, again = open_page(
        two, cookie, viewer=welcome["viewer"], client_id="moving01"
    )
    assert again["viewer"] == welcome["viewer"]
    send(socket_two, "pywry:cancel", {"id": run_id}, "cancel")
    done = until(socket_two, lambda f: f["event"] == "pywry:progress" and f["data"].get("done"))
    assert done["data"] == {"id": run_id, "done": True, "cancelled": True}
    assert len(seen) == 1 and seen[0].startswith("cancelled at"), seen
    ws_two.__exit__(None, None, None)
    ws_one.__exit__(None, None, None)
