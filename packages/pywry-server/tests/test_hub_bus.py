"""The event-bus listener: survives a subscription that fails; skips its own worker's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pywry.config import load_settings
from pywry.errors import BackendError
from pywry.runtime import Runtime
from pywry.state.base import Subscription, first_seq
from pywry.state.memory import MemoryBackend
from pywry_server import create_app
from pywry_server.messages import WIDGETS_CHANNEL, Closed, Deliver
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
            closed = Closed(label="demo", sender="another-worker").wire()  # as a peer publishes it
            client.portal.call(app.state.pywry.backend.events.publish, WIDGETS_CHANNEL, closed)
            notice = socket.receive_json()
            assert notice["event"] == "pywry:widget-unavailable"
            assert notice["data"]["reason"] == "The widget was closed"


def test_a_worker_skips_what_it_published_itself(
    runtime: Runtime, add_widget: Callable[..., Any]
) -> None:
    """Its own sockets got those messages before they were published: not twice."""
    add_widget()
    app = create_app(settings=load_settings(), backend_cls=MemoryBackend, runtime=runtime)
    with (
        TestClient(app) as client,
        client.websocket_connect("/widget/demo/ws?client=testclient01") as socket,
    ):
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"
        worker = app.state.pywry
        own = Closed(label="demo", sender=worker.worker_id).wire()
        seq = first_seq()  # the first entry of a log made now
        event = {"type": "event", "event": "app:after", "data": 1, "seq": seq}
        peer = Deliver(label="demo", message=event, sender="another-worker").wire()
        for message in (own, peer):  # the bus keeps their order
            client.portal.call(worker.backend.events.publish, WIDGETS_CHANNEL, message)
        assert socket.receive_json() == event
