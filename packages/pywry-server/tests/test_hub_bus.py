"""The hub's event-bus listener survives a subscription that fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pywry.config import load_settings
from pywry.errors import BackendError
from pywry.runtime import Runtime
from pywry.state.base import Subscription
from pywry.state.memory import MemoryBackend
from pywry_server import create_app
from server_support import wait_until
from starlette.testclient import TestClient


class _Broken(Subscription):
    """A subscription whose first read fails, as a Redis one does on an unexpected reply."""

    async def _next(self) -> tuple[str, str]:
        raise BackendError("the bus answered something unexpected")

    async def aclose(self) -> None:
        pass


class _FlakyBusBackend(MemoryBackend):
    subscriptions = 0

    def __init__(self) -> None:
        super().__init__()
        original = self.events.subscribe

        async def subscribe(*channels: str) -> Subscription:
            type(self).subscriptions += 1
            if type(self).subscriptions == 1:
                return _Broken()
            return await original(*channels)

        self.events.subscribe = subscribe  # type: ignore[method-assign]


def test_bus_messages_arrive_after_the_subscription_failed(
    runtime: Runtime, add_widget: Callable[..., Any]
) -> None:
    add_widget()
    _FlakyBusBackend.subscriptions = 0
    app = create_app(settings=load_settings(), backend_cls=_FlakyBusBackend, runtime=runtime)
    with TestClient(app) as client:
        wait_until(lambda: _FlakyBusBackend.subscriptions >= 2)
        with client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
            socket.send_json({"type": "hello", "lastSeq": None})
            assert socket.receive_json()["type"] == "welcome"
            client.portal.call(app.state.pywry.outbound.discard, "demo")  # "closed" on the bus
            notice = socket.receive_json()
            assert notice["event"] == "pywry:widget-unavailable"
            assert notice["data"]["reason"] == "The widget was closed"
