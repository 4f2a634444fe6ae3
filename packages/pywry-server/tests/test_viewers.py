"""Viewers over the real protocol: ids, binding, ctx, ctx.state, the scope rule, replay."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import pywry
from pywry.errors import ViewerStateError

ANON = "pywry_anon"


def hello(
    client: Any, *, cookie: str | None = None, viewer: str | None = None, viewer_seq: int = 0
):
    """Open the demo socket as a page would; returns ``(context, socket, first frame)``."""
    headers = {"cookie": f"{ANON}={cookie}"} if cookie else {}
    ws = client.websocket_connect("/widget/demo/ws?client=viewerclient1", headers=headers)
    socket = ws.__enter__()
    frame: dict[str, Any] = {"type": "hello", "lastSeq": None, "viewer": viewer}
    if viewer is not None:
        frame["viewerSeq"] = viewer_seq
    socket.send_json(frame)
    return ws, socket, socket.receive_json()


def send(socket: Any, event: str, data: Any, frame_id: str) -> None:
    socket.send_json({"type": "event", "id": frame_id, "event": event, "data": data})


def next_event(socket: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = socket.receive_json()
        if frame["type"] == "event":
            return frame


def test_each_page_gets_its_own_viewer_bound_to_its_cookie(add_widget, make_client) -> None:
    add_widget()
    client = make_client()
    page = client.get("/widget/demo")
    cookie = page.cookies.get(ANON)
    assert cookie and len(cookie) >= 16  # a browser without one gets it with the page
    assert "httponly" in page.headers["set-cookie"].lower()
    again = client.get("/widget/demo", headers={"cookie": f"{ANON}={cookie}"})
    assert again.headers.get("set-cookie") is None
    ws1, _s1, first = hello(client, cookie=cookie)
    ws2, _s2, second = hello(client, cookie=cookie)
    assert first["viewer"] != second["viewer"]  # two tabs of one browser: two viewers
    assert len(first["viewer"]) >= 22 and first["viewerSeq"] == 0
    ws1.__exit__(None, None, None)
    ws2.__exit__(None, None, None)


def test_made_up_or_borrowed_viewer_is_refused(add_widget, make_client) -> None:
    add_widget()
    client = make_client()
    ws, _socket, welcome = hello(client, cookie="browser-a-0123456789")
    ws.__exit__(None, None, None)
    for cookie, viewer in (
        ("browser-a-0123456789", "made-up-viewer-id-0000"),  # never issued
        ("browser-b-0123456789", welcome["viewer"]),  # another browser's
        (None, welcome["viewer"]),  # no cookie at all
    ):
        ws, socket, frame = hello(client, cookie=cookie, viewer=viewer)
        assert frame["type"] == "error" and frame["code"] == "forbidden_viewer", frame
        closed = socket.receive()
        assert closed["type"] == "websocket.close" and closed["code"] == 4403
        ws.__exit__(None, None, None)
    ws, _socket, again = hello(client, cookie="browser-a-0123456789", viewer=welcome["viewer"])
    assert again["type"] == "welcome" and again["viewer"] == welcome["viewer"]
    ws.__exit__(None, None, None)


def test_callback_context_state_and_replay_after_reconnect(add_widget, make_client) -> None:
    seen: list[tuple[str, str, str | None, Any]] = []

    def on_pick(data: Any, event_type: str, label: str, ctx: pywry.EventContext) -> None:
        ctx.state["picked"] = data["value"]
        seen.append((ctx.viewer_id, ctx.session_id, ctx.user, pywry.current_context() is ctx))
        widget.emit("app:picked", {"value": data["value"]})

    async def on_read(data: Any, event_type: str, label: str, ctx: pywry.EventContext) -> None:
        await asyncio.sleep(0)
        assert pywry.current_context() is ctx
        widget.emit("app:state", dict(ctx.state))

    widget = add_widget(callbacks={"app:pick": on_pick, "app:read": on_read})
    client = make_client()
    ws, socket, welcome = hello(client, cookie="browser-a-0123456789")
    send(socket, "app:pick", {"value": "north"}, "f1")
    first = next_event(socket)
    assert first["event"] == "app:picked" and first["label"] == "demo"
    vseq = first["vseq"]  # the viewer log's first number: the clock when it was made
    assert vseq > welcome["viewerSeq"]
    assert seen == [(welcome["viewer"], "browser-a-0123456789", None, True)]
    ws.__exit__(None, None, None)
    widget.emit("app:everyone", {})  # outside a callback: the widget's stream, for all

    # the same page reconnects: its state is there, and it missed nothing of its own
    ws, socket, again = hello(
        client, cookie="browser-a-0123456789", viewer=welcome["viewer"], viewer_seq=0
    )
    assert again["viewer"] == welcome["viewer"] and again["viewerSeq"] == vseq
    replayed = next_event(socket)
    assert (replayed["event"], replayed["vseq"]) == ("app:picked", vseq)  # asked from 0
    send(socket, "app:read", None, "f2")
    state = next_event(socket)
    while state["event"] != "app:state":
        state = next_event(socket)
    assert state["data"] == {"picked": "north"} and state["vseq"] == vseq + 1
    ws.__exit__(None, None, None)

    # another page of the same browser is another viewer: empty state
    ws, socket, _ = hello(client, cookie="browser-a-0123456789")
    send(socket, "app:read", None, "f3")
    assert next_event(socket)["data"] == {}
    ws.__exit__(None, None, None)


def test_state_limit_is_a_clear_error_and_nothing_is_stored(add_widget, make_client) -> None:
    errors: list[str] = []

    def on_big(data: Any, event_type: str, label: str, ctx: pywry.EventContext) -> None:
        ctx.state["small"] = 1
        try:
            ctx.state["big"] = "x" * 5000
        except ViewerStateError as exc:
            errors.append(str(exc))
        try:
            ctx.state["bad"] = {1, 2}
        except ViewerStateError as exc:
            errors.append(str(exc))
        widget.emit("app:state", dict(ctx.state))

    widget = add_widget(callbacks={"app:big": on_big})
    client = make_client(deploy={"viewer_state_max_bytes": 4096})
    ws, socket, _ = hello(client)
    send(socket, "app:big", None, "f1")
    assert next_event(socket)["data"] == {"small": 1}
    assert "PYWRY_DEPLOY__VIEWER_STATE_MAX_BYTES" in errors[0] and "4096" in errors[0]
    assert "JSON values only" in errors[1]
    ws.__exit__(None, None, None)


def test_inside_a_callback_helpers_answer_one_viewer_everyone_reaches_all(
    add_widget, make_client
) -> None:
    def on_mine(data: Any) -> None:
        widget.update("<p>mine</p>")

    def on_all(data: Any) -> None:
        with pywry.everyone():
            widget.update("<p>everyone</p>")

    widget = add_widget(callbacks={"app:mine": on_mine, "app:all": on_all})
    client = make_client()
    ws1, first, _ = hello(client)
    ws2, second, _ = hello(client)
    send(first, "app:mine", None, "f1")
    mine = next_event(first)
    assert mine["data"] == {"html": "<p>mine</p>"} and "vseq" in mine
    assert "mine" not in client.get("/widget/demo").text  # new page loads: unchanged
    send(first, "app:all", None, "f2")
    for socket in (second, first):  # the second page's first event is the shared one
        shared = next_event(socket)
        assert shared["data"] == {"html": "<p>everyone</p>"} and "seq" in shared
    assert "everyone" in client.get("/widget/demo").text
    assert pywry.current_context() is None
    ws1.__exit__(None, None, None)
    ws2.__exit__(None, None, None)


def test_sync_callbacks_see_their_context_in_threads(add_widget, make_client) -> None:
    found: list[Any] = []

    def on_event(data: Any, event_type: str, label: str) -> None:
        ctx = pywry.current_context()
        found.append((threading.current_thread().name, ctx.viewer_id if ctx else None))

    add_widget(callbacks={"app:go": on_event})
    client = make_client()
    ws, socket, welcome = hello(client)
    send(socket, "app:go", None, "f1")
    deadline = time.monotonic() + 5
    while not found and time.monotonic() < deadline:
        time.sleep(0.01)
    assert found and found[0][0].startswith("pywry-callback")
    assert found[0][1] == welcome["viewer"]
    ws.__exit__(None, None, None)


@pytest.mark.parametrize("limit", [1])
def test_a_busy_worker_turns_events_away_for_a_resend(add_widget, make_client, limit) -> None:
    release = threading.Event()

    def on_slow(data: Any) -> None:
        release.wait(10)

    add_widget(callbacks={"app:slow": on_slow})
    client = make_client(server={"max_running_callbacks": limit})
    ws, socket, _ = hello(client)
    send(socket, "app:slow", None, "f1")
    assert socket.receive_json() == {"type": "ack", "id": "f1", "status": "ok"}
    send(socket, "app:slow", None, "f2")
    refused = socket.receive_json()
    assert (refused["type"], refused["code"], refused["id"]) == ("error", "unavailable", "f2")
    release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # once the first finished, the resend is taken
        send(socket, "app:slow", None, "f2")
        reply = socket.receive_json()
        if reply["type"] == "ack":
            assert reply["status"] == "ok"
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the resent frame was never taken")
    ws.__exit__(None, None, None)
