"""A SecretInput's value goes to the asking browser only: not broadcast, not logged.

The reveal/copy answer (``toolbar:secret-value``) is a targeted send: the server
delivers it to the one connection that asked, on whichever worker holds that
socket, without a ``seq`` and without appending it to the widget's replay log. These
tests run on a real Redis (the shared backend of a multi-worker deployment) and scan
every key under the deployment's prefix for the secret.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pytest
import redis
from fastapi import FastAPI
from pywry.config import load_settings
from pywry.registry import load_state_backend
from pywry.runtime import Runtime
from pywry.toolbar import SecretInput, Toolbar
from pywry.widgets.widget import Widget
from pywry_server import create_app
from pywry_state_redis.testing import redis_server_url
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

pytestmark = pytest.mark.redis

SECRET = "sk-targeted-7f3a9c21e5"
LABEL = "vault"
Frame = dict[str, Any]


@pytest.fixture
def redis_env() -> Iterator[tuple[str, str]]:
    """A Redis URL and a fresh key prefix; every key under it is deleted afterwards."""
    url, prefix = redis_server_url(), f"pywry-secret-{uuid.uuid4().hex[:8]}"
    yield url, prefix
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def serve(redis_env: tuple[str, str]) -> Iterator[Callable[[Runtime, str], TestClient]]:
    """Start an app (one "worker") on the shared Redis for a runtime and a worker id.

    On teardown the browsers still open are closed first, then the apps.
    """
    url, prefix = redis_env
    clients: list[TestClient] = []
    backend_cls = load_state_backend("redis")
    Browser.opened.clear()

    def start(runtime: Runtime, worker_id: str) -> TestClient:
        settings = load_settings(
            deploy={"state_backend": "redis", "redis_url": url, "redis_prefix": prefix}
        )
        app: FastAPI = create_app(
            settings=settings, backend_cls=backend_cls, runtime=runtime, worker_id=worker_id
        )
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for browser in Browser.opened:
        browser.close()
    for client in reversed(clients):
        client.__exit__(None, None, None)


class Browser:
    """A WebSocket client speaking the page protocol; keeps every frame it got."""

    opened: ClassVar[list[Browser]] = []

    def __init__(self, client: TestClient, last_seq: int | None = None) -> None:
        self.closed = False
        self._context = client.websocket_connect(f"/widget/{LABEL}/ws")
        self.socket = self._context.__enter__()
        self.socket.send_json({"type": "hello", "lastSeq": last_seq})
        self.welcome = self._next()
        assert self.welcome["type"] == "welcome", self.welcome
        self.frames: list[Frame] = [self.welcome]
        self._reader = ThreadPoolExecutor(1)
        self._sent = 0
        Browser.opened.append(self)

    def _next(self) -> Frame:
        frame: Frame = self.socket.receive_json()
        return frame

    def send(self, event: str, data: Any) -> None:
        self._sent += 1
        self.socket.send_json(
            {"type": "event", "id": f"f{self._sent}", "event": event, "data": data}
        )

    def wait_event(self, event: str) -> Frame:
        """Read frames until ``event`` arrives (fails after 10 s)."""
        while True:
            frame = self._reader.submit(self._next).result(timeout=10)
            self.frames.append(frame)
            if frame.get("type") == "event" and frame.get("event") == event:
                return frame

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._context.__exit__(None, None, None)
        self._reader.shutdown(wait=False)


def _vault(runtime: Runtime, *, owner: str | None = None, **secret_options: Any) -> Widget:
    """A widget with a SecretInput; ``app:ping`` answers every viewer with ``app:pong``."""
    secret = SecretInput(component_id="key", event="app:key", value=SECRET, **secret_options)
    bar = Toolbar(items=[secret])

    def on_ping(data: Any, event: str, label: str) -> None:
        widget.broadcast("app:pong", data)  # inside a callback, emit() would answer one viewer

    widget = Widget(
        runtime,
        label=LABEL,
        title="Vault",
        content="",
        toolbars=[bar],
        callbacks={"app:ping": on_ping},
        owner=owner,
    )
    runtime.add(widget)
    return widget


def _reveal(browser: Browser, request_id: str, action: str = "reveal") -> Frame:
    browser.send(f"toolbar:secret-{action}", {"componentId": "key", "requestId": request_id})
    return browser.wait_event("toolbar:secret-value")


def _stored_text(url: str, prefix: str) -> dict[str, str]:
    """Every key under ``prefix`` and its whole value, whatever the Redis type."""
    client = redis.Redis.from_url(url, decode_responses=True)
    found: dict[str, str] = {}
    for key in client.scan_iter(match=f"{prefix}:*"):
        kind = client.type(key)
        value: Any
        if kind == "string":
            value = client.get(key)
        elif kind == "hash":
            value = client.hgetall(key)
        elif kind == "list":
            value = client.lrange(key, 0, -1)
        elif kind == "set":
            value = client.smembers(key)
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            value = client.xrange(key)
        else:
            value = kind
        found[key] = repr(value)
    client.close()
    return found


def _no_secret_in(frames: list[Frame]) -> None:
    assert all(SECRET not in repr(frame) for frame in frames), frames


def test_reveal_answers_only_the_asking_browser_and_is_never_logged(
    serve: Callable[[Runtime, str], TestClient], redis_env: tuple[str, str]
) -> None:
    runtime = Runtime()
    _vault(runtime)
    client = serve(runtime, "worker-solo")
    asking, other = Browser(client), Browser(client)

    answer = _reveal(asking, "r1")
    assert answer["data"] == {
        "componentId": "key",
        "requestId": "r1",
        "action": "reveal",
        "value": SECRET,
    }
    assert "seq" not in answer  # not part of the replayable, numbered stream
    assert _reveal(asking, "r2", "copy")["data"]["action"] == "copy"

    # A broadcast sent after the answers is the other viewer's next event: the
    # answers never reached it.
    asking.send("app:ping", {"n": 1})
    assert other.wait_event("app:pong")["data"] == {"n": 1}
    assert [f["event"] for f in other.frames if f["type"] == "event"] == ["app:pong"]
    _no_secret_in(other.frames)

    stored = _stored_text(*redis_env)
    assert any(key.endswith(f":{LABEL}") or LABEL in key for key in stored), stored
    assert any("app:pong" in text for text in stored.values()), "the replay log holds the pong"
    assert [key for key, text in stored.items() if SECRET in text] == []

    # A reconnecting page replays the log from the start: the pong, not the secret.
    replayed = Browser(client, last_seq=0)
    pong = replayed.wait_event("app:pong")
    assert [f for f in replayed.frames[1:] if f.get("seq")] == [pong]  # the first entry
    _no_secret_in(replayed.frames)


def test_answer_crosses_workers_to_the_socket_that_asked(
    serve: Callable[[Runtime, str], TestClient], redis_env: tuple[str, str]
) -> None:
    # A run-time widget owned by worker A: its callbacks (and its secret) live there.
    owner_runtime, other_runtime = Runtime(), Runtime()
    _vault(owner_runtime, owner="worker-a")
    worker_a = serve(owner_runtime, "worker-a")
    worker_b = serve(other_runtime, "worker-b")
    asking = Browser(worker_b)  # its socket is on B; the reveal runs on A
    viewer_a, viewer_b = Browser(worker_a), Browser(worker_b)
    assert asking.welcome["workerId"] == "worker-b"

    answer = _reveal(asking, "x1")
    assert answer["data"]["value"] == SECRET
    assert answer["data"]["requestId"] == "x1"

    asking.send("app:ping", {"n": 2})
    for viewer in (viewer_a, viewer_b):
        assert viewer.wait_event("app:pong")["data"] == {"n": 2}
        assert [f["event"] for f in viewer.frames if f["type"] == "event"] == ["app:pong"]
        _no_secret_in(viewer.frames)
    assert [key for key, text in _stored_text(*redis_env).items() if SECRET in text] == []


def test_a_typed_secret_is_revealed_only_to_the_viewer_who_typed_it(
    serve: Callable[[Runtime, str], TestClient], redis_env: tuple[str, str]
) -> None:
    runtime = Runtime()
    widget = _vault(runtime)
    client = serve(runtime, "worker-solo")
    alice, bob = Browser(client), Browser(client)
    typed = "sk-typed-by-alice-93b1"
    alice.send("app:key", {"componentId": "key", "value": typed})
    assert _reveal(alice, "a1")["data"]["value"] == typed
    assert _reveal(bob, "b1")["data"]["value"] == SECRET  # never Alice's
    assert widget.toolbar_secret("key") == SECRET  # an anonymous page cannot replace it
    bob.send("app:key", {"componentId": "key", "value": "sk-bob"})
    assert _reveal(alice, "a2")["data"]["value"] == typed
    frames = repr(bob.frames)
    assert typed not in frames
    assert [key for key, text in _stored_text(*redis_env).items() if typed in text] == []


@pytest.mark.parametrize("action", ["reveal", "copy"])
def test_reveal_or_copy_without_its_button_gets_no_answer(
    serve: Callable[[Runtime, str], TestClient], action: str
) -> None:
    runtime = Runtime()
    _vault(runtime, show_reveal=False, show_copy=False)
    client = serve(runtime, "worker-solo")
    forger = Browser(client)
    forger.send(f"toolbar:secret-{action}", {"componentId": "key", "requestId": "f1"})
    forger.send("app:ping", {"n": 3})  # handled after the reveal: its pong comes later
    assert forger.wait_event("app:pong")["data"] == {"n": 3}
    assert [f.get("event") for f in forger.frames if f["type"] == "event"] == ["app:pong"]
    _no_secret_in(forger.frames)


def _read_until_closed(socket: Any) -> None:
    while True:  # until the close (which raises): nothing it gets holds the secret
        assert SECRET not in socket.receive_text()


def test_a_cross_site_page_cannot_ask_for_the_secret(
    serve: Callable[[Runtime, str], TestClient],
) -> None:
    runtime = Runtime()
    _vault(runtime)
    client = serve(runtime, "worker-solo")
    headers = {"Origin": "https://evil.example"}  # a visitor's browser on another site
    with client.websocket_connect(f"/widget/{LABEL}/ws", headers=headers) as socket:
        refusal = socket.receive_json()
        assert refusal["type"] == "error" and refusal["code"] == "forbidden_origin"
        reveal = {"componentId": "key", "requestId": "x1"}
        socket.send_json({"type": "hello", "lastSeq": None})
        socket.send_json(
            {"type": "event", "id": "x1", "event": "toolbar:secret-reveal", "data": reveal}
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            _read_until_closed(socket)
    assert closed.value.code == 4403
    # The same reveal from the server's own origin is answered (so the refusal is the origin's).
    own = Browser(client)
    assert _reveal(own, "ok")["data"]["value"] == SECRET
