"""The Python half of toolbars: set-value payloads, secrets and state requests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from pywry.context import EventContext, Viewer, ViewerState, viewer_scope
from pywry.runtime import Runtime
from pywry.state.records import WidgetRecord
from pywry.toolbar import Button, Div, Option, SecretInput, Select, Toolbar
from pywry.toolbar.secrets import MAX_SUBMITTED_CHARS, SecretValues
from pywry.widgets.widget import Widget

SECRET = "sk-live-abcdef"
ALICE, BOB = Viewer("viewer-alice", "session-a"), Viewer("viewer-bob", "session-b")


class RecordingSink:
    """A sink that keeps what widgets emit (the server's part is tested end to end)."""

    worker_id = "worker-test"
    viewer_state_max_bytes = 65_536

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.events: list[tuple[str, str, Any]] = []
        self.to_viewers: list[tuple[str, str, str, Any]] = []
        self.targeted: list[tuple[str, str, str, Any]] = []
        self.arrived = asyncio.Event()

    async def emit(self, label: str, event: str, data: Any) -> None:
        self.events.append((label, event, data))
        self.arrived.set()

    async def emit_to_viewer(self, viewer_id: str, label: str, event: str, data: Any) -> None:
        self.to_viewers.append((viewer_id, label, event, data))

    async def load_viewer_state(self, viewer_id: str) -> dict[str, Any]:
        return {}

    async def save_viewer_state(self, viewer: Viewer, state: dict[str, Any]) -> None:
        pass

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


async def test_reveal_answers_the_asking_page_with_its_viewers_secret(served: Any) -> None:
    widget, sink, runtime = served
    typed = {"componentId": "key", "value": "typed-in-browser"}
    await widget.dispatch("app:key", typed, viewer=ALICE)
    reveal = {"componentId": "key", "requestId": "r1"}
    await widget.dispatch("toolbar:secret-reveal", reveal, origin="conn-a", viewer=ALICE)
    copy = {**reveal, "requestId": "r2"}
    await widget.dispatch("toolbar:secret-copy", copy, origin="conn-b", viewer=BOB)
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
    # Bob never sees what Alice typed: he gets the value the input was built with.
    bob = {"componentId": "key", "requestId": "r2", "action": "copy", "value": SECRET}
    assert sink.targeted[1][3] == bob
    assert widget.toolbar_secret("key") == SECRET  # outside a callback: the app's value


def _secret_widget(runtime: Runtime, **options: Any) -> Widget:
    bar = Toolbar(items=[SecretInput(component_id="k", event="app:k", value=SECRET, **options)])
    return Widget(runtime, label="s", title="S", content="", toolbars=[bar])


@pytest.mark.parametrize(
    ("options", "answered"),
    [
        ({}, {"reveal", "copy"}),
        ({"show_reveal": False}, {"copy"}),
        ({"show_copy": False}, {"reveal"}),
        ({"show_reveal": False, "show_copy": False}, set()),
    ],
)
async def test_reveal_and_copy_only_when_the_page_offers_the_button(
    served: Any, caplog: pytest.LogCaptureFixture, options: dict[str, bool], answered: set[str]
) -> None:
    _widget, sink, runtime = served
    widget = _secret_widget(runtime, **options)
    for action in ("reveal", "copy"):
        data = {"componentId": "k", "requestId": action}
        await widget.dispatch(f"toolbar:secret-{action}", data, origin="conn", viewer=ALICE)
    await _flush(runtime)
    assert {d["action"] for _c, _l, _e, d in sink.targeted} == answered
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2 - len(answered)
    assert all(SECRET not in message for message in refused)


async def test_a_submitted_secret_is_the_viewers_own(served: Any) -> None:
    widget, _sink, _runtime = served
    seen: dict[str, str | None] = {}

    def on_key(data: Any, event: str, label: str, ctx: EventContext) -> None:
        seen[ctx.viewer_id] = widget.toolbar_secret("key")

    widget.on("app:key", on_key)
    await widget.dispatch("app:key", {"componentId": "key", "value": "alice-1"}, viewer=ALICE)
    await widget.dispatch("app:key", {"componentId": "key", "value": "bob-1"}, viewer=BOB)
    assert seen == {"viewer-alice": "alice-1", "viewer-bob": "bob-1"}
    assert widget.toolbar_secret("key") == SECRET  # the app's stored key is untouched
    # Without a viewer (no page sent it) nothing is stored anywhere.
    await widget.dispatch("app:key", {"componentId": "key", "value": "anonymous"})
    assert widget.toolbar_secret("key") == SECRET
    # A value longer than MAX_SUBMITTED_CHARS is not kept: Alice keeps her last one.
    huge = {"componentId": "key", "value": "x" * (MAX_SUBMITTED_CHARS + 1)}
    await widget.dispatch("app:key", huge, viewer=ALICE)
    assert seen["viewer-alice"] == "alice-1"


def _context(viewer: Viewer) -> EventContext:
    state = ViewerState({}, max_bytes=1024)
    return EventContext(viewer, worker_id="w", label="w", event="app:x", state=state)


async def test_set_from_python_in_a_callback_is_that_viewers(served: Any) -> None:
    widget, sink, runtime = served
    with viewer_scope(_context(ALICE)):
        widget.set_toolbar_value("key", "given-to-alice")
        assert widget.toolbar_secret("key") == "given-to-alice"
    with viewer_scope(_context(BOB)):
        assert widget.toolbar_secret("key") == SECRET
    assert widget.toolbar_secret("key") == SECRET
    widget.set_toolbar_values({"key": "for-everyone"})  # outside a callback: everyone's
    with viewer_scope(_context(ALICE)):
        assert widget.toolbar_secret("key") == "for-everyone"  # replaces what Alice had
    await _flush(runtime)
    sent = repr(sink.events) + repr(sink.to_viewers)
    assert sink.to_viewers and sink.events  # the pages learnt "set", never the value
    assert "given-to-alice" not in sent and "for-everyone" not in sent


def test_viewer_secrets_are_bounded_and_expire() -> None:
    now = [0.0]
    values = SecretValues(max_viewers=3, ttl=10.0, clock=lambda: now[0])
    for n in range(5):
        values.set("k", f"v{n}", f"viewer-{n}")
    assert values.viewer_count == 3  # the two least recently used are gone
    assert values.get("k", "viewer-0") == (False, None)
    assert values.get("k", "viewer-4") == (True, "v4")
    now[0] = 5.0
    assert values.get("k", "viewer-3") == (True, "v3")  # use renews it
    now[0] = 12.0
    assert values.viewer_count == 1
    assert values.get("k", "viewer-3") == (True, "v3")
    assert values.get("k", "viewer-2") == (False, None)


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
