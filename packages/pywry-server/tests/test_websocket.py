"""The WebSocket protocol as a browser speaks it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pywry.state import first_seq
from server_support import connect, follow, wait_until
from starlette.websockets import WebSocketDisconnect


def test_event_runs_callback_with_three_arguments_and_is_acked(add_widget, make_client) -> None:
    calls: list[tuple[Any, ...]] = []
    add_widget(
        callbacks={"chart:region": lambda data, event, label: calls.append((data, event, label))}
    )
    ws, socket, _ = connect(make_client())
    socket.send_json(
        {"type": "event", "id": "e1", "event": "chart:region", "data": {"value": "north"}}
    )
    assert socket.receive_json() == {"type": "ack", "id": "e1", "status": "ok"}
    wait_until(lambda: bool(calls))
    assert calls == [({"value": "north"}, "chart:region", "demo")]
    ws.__exit__(None, None, None)


def test_sync_callback_runs_off_the_event_loop(add_widget, make_client) -> None:
    threads: list[str] = []
    add_widget(callbacks={"app:go": lambda data: threads.append(threading.current_thread().name)})
    ws, socket, _ = connect(make_client())
    socket.send_json({"type": "event", "id": "e1", "event": "app:go", "data": None})
    socket.receive_json()
    wait_until(lambda: bool(threads))
    assert threads[0].startswith("pywry-callback")
    ws.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "nope"}', "bad_message"),
        ('{"type": "event", "id": "x1", "event": "no-colon", "data": 1}', "bad_event"),
        ('{"type": "event", "id": "x1", "event": "pywry:download", "data": 1}', "reserved_event"),
        ('{"type": "hello", "lastSeq": null}', "bad_message"),
    ],
)
def test_malformed_frames_get_an_error_reply_and_the_socket_lives(
    add_widget, make_client, frame: str, code: str
) -> None:
    add_widget()
    ws, socket, _ = connect(make_client())
    socket.send_text(frame)
    reply = socket.receive_json()
    assert reply["type"] == "error"
    assert reply["code"] == code
    socket.send_json({"type": "ping"})
    assert socket.receive_json() == {"type": "pong"}
    ws.__exit__(None, None, None)


def test_oversized_and_binary_frames_are_refused(add_widget, make_client) -> None:
    add_widget()
    ws, socket, _ = connect(make_client(server={"max_message_bytes": 1024}))
    socket.send_text('{"type":"event","event":"a:b","data":"' + "x" * 2000 + '"}')
    assert socket.receive_json()["code"] == "too_large"
    socket.send_bytes(b"\x00\x01")
    assert socket.receive_json()["code"] == "bad_message"
    ws.__exit__(None, None, None)


def test_binary_first_frame_gets_an_error_reply_after_welcome(add_widget, make_client) -> None:
    add_widget()
    with make_client().websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        socket.send_bytes(b"\x00\x01")
        assert socket.receive_json()["type"] == "welcome"
        assert socket.receive_json()["code"] == "bad_message"
        socket.send_json({"type": "ping"})
        assert socket.receive_json() == {"type": "pong"}


def test_unknown_widget_socket_gets_error_and_close_4404(make_client) -> None:
    client = make_client()
    with client.websocket_connect("/widget/ghost/ws") as socket:
        assert socket.receive_json()["code"] == "unknown_widget"
        with pytest.raises(WebSocketDisconnect) as info:
            socket.receive_json()
    assert info.value.code == 4404


def test_resent_event_runs_its_callback_once(add_widget, make_client) -> None:
    calls: list[Any] = []
    add_widget(callbacks={"app:go": calls.append})
    ws, socket, _ = connect(make_client())
    for _ in range(3):
        socket.send_json({"type": "event", "id": "same-id", "event": "app:go", "data": 1})
    statuses = [socket.receive_json()["status"] for _ in range(3)]
    assert statuses == ["ok", "duplicate", "duplicate"]
    wait_until(lambda: bool(calls))
    time.sleep(0.1)
    assert calls == [1]
    ws.__exit__(None, None, None)


def test_emit_from_callback_reaches_only_the_viewer_who_acted(add_widget, make_client) -> None:
    def on_export(data: Any) -> None:
        widget.emit("pywry:download", {"filename": "data.csv", "content": "a,b"})

    def on_ping(data: Any) -> None:
        widget.broadcast("app:pong", data)

    widget = add_widget(callbacks={"chart:export": on_export, "app:ping": on_ping})
    client = make_client()
    since = first_seq()
    ws1, first, welcome = connect(client)
    ws2, second, _ = connect(client)
    first.send_json({"type": "event", "id": "e1", "event": "chart:export", "data": {}})
    assert first.receive_json()["type"] == "ack"
    message = first.receive_json()
    assert message["event"] == "pywry:download"
    assert message["data"] == {"filename": "data.csv", "content": "a,b"}
    # the viewer's own numbered stream (a new log: from the clock), not the widget's
    follow([message["vseq"]], welcome["viewerSeq"], since)
    assert "seq" not in message
    # broadcast reaches every viewer; it is the second page's first event: the
    # download never reached it.
    first.send_json({"type": "event", "id": "e2", "event": "app:ping", "data": {"n": 1}})
    pongs = []
    for socket in (second, first):
        frame = socket.receive_json()
        while frame["type"] == "ack":
            frame = socket.receive_json()
        assert frame["event"] == "app:pong"
        pongs.append(frame["seq"])
    follow(pongs[:1], welcome["seq"], since)
    assert pongs[1] == pongs[0]
    ws1.__exit__(None, None, None)
    ws2.__exit__(None, None, None)


def test_reconnecting_browser_gets_missed_events_replayed(add_widget, make_client) -> None:
    widget = add_widget()
    client = make_client()
    since = first_seq()
    ws, _socket, welcome = connect(client)
    ws.__exit__(None, None, None)
    widget.emit("app:tick", {"n": 1})
    widget.emit("app:tick", {"n": 2})
    time.sleep(0.2)
    ws2, socket2, _ = connect(client, last_seq=welcome["seq"])
    replayed = [socket2.receive_json(), socket2.receive_json()]
    assert [m["data"]["n"] for m in replayed] == [1, 2]
    follow([m["seq"] for m in replayed], welcome["seq"], since)
    ws2.__exit__(None, None, None)


def test_fresh_page_gets_no_old_events(add_widget, make_client) -> None:
    widget = add_widget()
    client = make_client()
    ws, _, _ = connect(client)
    widget.emit("app:tick", {"n": 1})
    time.sleep(0.1)
    ws.__exit__(None, None, None)
    ws2, socket2, welcome = connect(client)
    assert welcome["seq"] >= 1
    socket2.send_json({"type": "ping"})
    assert socket2.receive_json() == {"type": "pong"}
    ws2.__exit__(None, None, None)


def test_foreign_origin_is_refused_when_origins_are_listed(add_widget, make_client) -> None:
    add_widget()
    client = make_client(server={"cors_origins": ["https://dash.example.com"]})
    with client.websocket_connect(
        "/widget/demo/ws", headers={"Origin": "https://evil.example.net"}
    ) as socket:
        reply = socket.receive_json()
        assert reply["type"] == "error"
        assert reply["code"] == "forbidden_origin"
        with pytest.raises(WebSocketDisconnect) as info:
            socket.receive_json()
    assert info.value.code == 4403
    ws, _, _ = connect(client, Origin="https://dash.example.com")
    ws.__exit__(None, None, None)


def test_one_failing_callback_does_not_stop_the_next(add_widget, make_client) -> None:
    seen: list[str] = []

    def broken(data: Any) -> None:
        raise RuntimeError("boom")

    widget = add_widget(callbacks={"app:go": broken})
    widget.on("app:go", lambda data: seen.append("second"))
    ws, socket, _ = connect(make_client())
    socket.send_json({"type": "event", "id": "e1", "event": "app:go", "data": None})
    socket.receive_json()
    wait_until(lambda: seen == ["second"])
    ws.__exit__(None, None, None)


def test_backend_error_gets_an_error_reply_and_the_socket_lives(
    add_widget, make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pywry.errors import BackendError

    calls: list[Any] = []
    add_widget(callbacks={"chart:region": lambda data: calls.append(data)})
    client = make_client()
    ws, socket, _ = connect(client)
    events = client.app.state.pywry.backend.events

    async def refuse(key: str, *, ttl: float) -> bool:
        raise BackendError("WRONGTYPE Operation against a key holding the wrong kind of value")

    monkeypatch.setattr(events, "claim", refuse)
    socket.send_json({"type": "event", "id": "e1", "event": "chart:region", "data": 1})
    reply = socket.receive_json()
    assert reply["type"] == "error"
    assert reply["code"] == "backend_error"
    assert reply["id"] == "e1"
    monkeypatch.undo()
    socket.send_json({"type": "event", "id": "e2", "event": "chart:region", "data": 2})
    assert socket.receive_json() == {"type": "ack", "id": "e2", "status": "ok"}
    wait_until(lambda: calls == [2])
    ws.__exit__(None, None, None)


def test_emits_during_a_backend_blip_arrive_in_order_afterwards(
    add_widget, make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pywry.errors import BackendUnavailableError

    widget = add_widget()
    client = make_client()
    since = first_seq()
    ws, socket, welcome = connect(client)
    events = client.app.state.pywry.backend.events
    real_append = events.append
    failures = {"left": 3}

    async def flaky_append(*args: Any, **kwargs: Any) -> int:
        if failures["left"]:
            failures["left"] -= 1
            raise BackendUnavailableError("redis://localhost:6379/0: connection refused")
        return await real_append(*args, **kwargs)

    monkeypatch.setattr(events, "append", flaky_append)
    for n in range(3):
        widget.emit("app:tick", {"n": n})
    received = [socket.receive_json() for _ in range(3)]
    assert [m["data"]["n"] for m in received] == [0, 1, 2]
    follow([m["seq"] for m in received], welcome["seq"], since)
    assert failures["left"] == 0
    ws.__exit__(None, None, None)
