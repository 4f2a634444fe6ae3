"""The Python half of toolbars: set-value payloads, secrets and state requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from pywry.runtime import Runtime
from pywry.state.records import WidgetRecord
from pywry.toolbar import Button, Div, Option, SecretInput, Select, Toolbar
from pywry.widgets.widget import Widget

SECRET = "sk-live-abcdef"


class RecordingSink:
    """A sink that keeps what widgets emit (the server's part is tested end to end)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.events: list[tuple[str, str, Any]] = []
        self.targeted: list[tuple[str, str, str, Any]] = []
        self.arrived = asyncio.Event()

    async def emit(self, label: str, event: str, data: Any) -> None:
        self.events.append((label, event, data))
        self.arrived.set()

    async def send_to(self, connection_id: str, label: str, event: str, data: Any) -> None:
        self.targeted.append((connection_id, label, event, data))

    async def save(self, record: WidgetRecord) -> None:
        pass

    async def discard(self, label: str) -> None:
        pass

    async def lookup(self, label: str) -> WidgetRecord | None:
        return None


@pytest.fixture
async def served() -> AsyncIterator[tuple[Widget, RecordingSink, Runtime]]:
    runtime = Runtime()
    sink = RecordingSink()
    await runtime.attach(sink)
    toolbar = Toolbar(
        items=[
            Select(
                component_id="region",
                event="app:region",
                options=[Option(label="A", value="a")],
            ),
            Div(
                children=[SecretInput(component_id="key", event="app:key", value=SecretStr(SECRET))]
            ),
            Button(component_id="go", event="app:go"),
        ]
    )
    widget = Widget(runtime, label="w", title="W", content="", toolbars=[toolbar])
    yield widget, sink, runtime
    await runtime.detach()
    runtime.executor.shutdown(wait=True)


async def _flush(runtime: Runtime) -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_set_value_passes_options_label_disabled(served: Any) -> None:
    widget, sink, runtime = served
    widget.set_toolbar_value("region", "a", options=[{"label": "A", "value": "a"}], label="R")
    widget.set_toolbar_values({"region": "a", "go": None})
    await _flush(runtime)
    assert sink.events == [
        (
            "w",
            "toolbar:set-value",
            {
                "componentId": "region",
                "value": "a",
                "options": [{"label": "A", "value": "a"}],
                "label": "R",
            },
        ),
        ("w", "toolbar:set-values", {"values": {"region": "a", "go": None}}),
    ]


async def test_secret_set_from_python_is_not_sent(served: Any) -> None:
    widget, sink, runtime = served
    assert widget.toolbar_secret("key") == SECRET
    widget.set_toolbar_value("key", "sk-new", disabled=True)
    widget.set_toolbar_values({"key": "sk-newer"})
    await _flush(runtime)
    assert sink.events == [
        ("w", "toolbar:set-value", {"componentId": "key", "hasValue": True, "disabled": True}),
        ("w", "toolbar:set-values", {"values": {"key": {"hasValue": True}}}),
    ]
    assert widget.toolbar_secret("key") == "sk-newer"
    with pytest.raises(KeyError, match="No SecretInput"):
        widget.toolbar_secret("region")


async def test_reveal_answers_the_asking_page_with_the_stored_secret(served: Any) -> None:
    widget, sink, runtime = served
    await widget.dispatch("app:key", {"componentId": "key", "value": "typed-in-browser"})
    reveal = {"componentId": "key", "requestId": "r1"}
    await widget.dispatch("toolbar:secret-reveal", reveal, origin="conn-a")
    await widget.dispatch("toolbar:secret-copy", {**reveal, "requestId": "r2"}, origin="conn-b")
    await widget.dispatch("toolbar:secret-reveal", {**reveal, "componentId": "nope"}, origin="c")
    await widget.dispatch("toolbar:secret-reveal", "not a dict", origin="conn-a")
    await widget.dispatch("toolbar:secret-reveal", {**reveal, "requestId": "r4"})  # no origin
    await _flush(runtime)
    assert sink.events == []  # never broadcast (nor logged for replay)
    assert [(c, label, e) for c, label, e, _ in sink.targeted] == [
        ("conn-a", "w", "toolbar:secret-value"),
        ("conn-b", "w", "toolbar:secret-value"),
    ]
    assert sink.targeted[0][3] == {
        "componentId": "key",
        "requestId": "r1",
        "action": "reveal",
        "value": "typed-in-browser",
    }
    assert sink.targeted[1][3]["action"] == "copy"


async def test_other_events_do_not_overwrite_the_secret(served: Any) -> None:
    widget, _sink, _runtime = served
    await widget.dispatch("app:other", {"componentId": "key", "value": "forged"})
    assert widget.toolbar_secret("key") == SECRET


async def test_state_request_resolves_with_browser_values_and_python_secrets(served: Any) -> None:
    widget, sink, runtime = served
    seen: list[dict[str, Any]] = []
    called = threading.Event()

    def remember(state: dict[str, Any]) -> None:
        seen.append(state)
        called.set()

    future = widget.request_toolbar_state(callback=remember)
    await _flush(runtime)
    (_, event, data) = sink.events[-1]
    assert event == "toolbar:request-state"
    reply = {"requestId": data["requestId"], "values": {"region": "a", "key": "page-guess"}}
    await widget.dispatch("toolbar:state", reply)
    state = await asyncio.wrap_future(future)
    assert state == {"region": "a", "key": SECRET}
    # a second answer for the same request is ignored
    await widget.dispatch("toolbar:state", {**reply, "values": {"region": "b"}})
    assert await asyncio.to_thread(called.wait, 10)
    assert seen == [{"region": "a", "key": SECRET}]


async def test_state_request_times_out_without_a_browser(served: Any) -> None:
    widget, _sink, _runtime = served
    future = widget.request_toolbar_state(timeout=0.01)
    with pytest.raises(TimeoutError, match="No browser answered"):
        await asyncio.wrap_future(future)


def test_state_request_without_server_fails_at_once() -> None:
    widget = Widget(Runtime(), label="x", title="", content="")
    future = widget.request_toolbar_state()
    with pytest.raises(RuntimeError, match="running server"):
        future.result(timeout=0)


async def test_state_request_from_a_sync_callback_thread(served: Any) -> None:
    widget, sink, runtime = served

    def callback_body() -> dict[str, Any]:
        state: dict[str, Any] = widget.request_toolbar_state().result(timeout=5)
        return state

    job = asyncio.get_running_loop().run_in_executor(runtime.executor, callback_body)
    while not any(e == "toolbar:request-state" for _, e, _ in sink.events):
        sink.arrived.clear()
        await asyncio.wait_for(sink.arrived.wait(), 10)
    request_id = next(d for _, e, d in sink.events if e == "toolbar:request-state")["requestId"]
    await widget.dispatch("toolbar:state", {"requestId": request_id, "values": {"region": "a"}})
    assert (await job)["region"] == "a"
