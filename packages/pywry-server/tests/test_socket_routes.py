"""PyWry's sockets are answered past the router (``socket_routes.py``): every
middleware of the app still sees them, and the widget prefix and a ``root_path`` are
honoured."""

from __future__ import annotations

from typing import Any, ClassVar

from pywry.config import load_settings
from pywry.runtime import Runtime
from pywry.state.memory import MemoryBackend
from pywry.widgets.widget import Widget
from pywry_server import create_app
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send


class Recorder:
    """An app's own middleware: notes the path of every WebSocket it sees."""

    seen: ClassVar[list[str]] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            Recorder.seen.append(scope["path"])
        await self.app(scope, receive, send)


def _hello(client: TestClient, path: str) -> dict[str, Any]:
    with client.websocket_connect(path) as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        welcome: dict[str, Any] = socket.receive_json()
    return welcome


def _client(runtime: Runtime, **overrides: Any) -> TestClient:
    app = create_app(
        settings=load_settings(**overrides), backend_cls=MemoryBackend, runtime=runtime
    )
    app.add_middleware(Recorder)
    return TestClient(app)


def test_the_apps_middleware_sees_every_socket_and_each_is_served() -> None:
    runtime = Runtime()
    runtime.add(Widget(runtime, label="sales", title="Sales", content="<p>s</p>"))
    runtime.add(Widget(runtime, label="costs", title="Costs", content="<p>c</p>"))
    Recorder.seen = []
    client = _client(runtime, server={"widget_prefix": "/apps"})
    with client:
        assert _hello(client, "/apps/sales/ws")["type"] == "welcome"
        assert _hello(client, "/pywry/ws?widgets=sales,costs")["seqs"] == {"sales": 0, "costs": 0}
        unknown = _hello(client, "/apps/nothing/ws")
    assert unknown["code"] == "unknown_widget"
    assert Recorder.seen == ["/apps/sales/ws", "/pywry/ws", "/apps/nothing/ws"]


def test_a_root_path_in_front_changes_nothing() -> None:
    runtime = Runtime()
    runtime.add(Widget(runtime, label="sales", title="Sales", content="<p>s</p>"))
    app = create_app(settings=load_settings(), backend_cls=MemoryBackend, runtime=runtime)
    with TestClient(app, root_path="/dash") as client:  # uvicorn's paths carry the root
        assert _hello(client, "/dash/widget/sales/ws")["type"] == "welcome"
