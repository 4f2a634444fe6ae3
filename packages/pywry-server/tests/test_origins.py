"""Who may open a widget's WebSocket, and which event names a browser may send."""

from __future__ import annotations

import pytest
from pywry_server.origins import origin_allowed
from pywry_server.protocol import ProtocolError, parse_frame
from server_support import connect
from starlette.websockets import WebSocketDisconnect


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "expected"),
    [
        (None, "dash.example.com", ["*"], True),  # not a browser: no Origin header
        ("https://dash.example.com", "dash.example.com", ["*"], True),
        ("https://dash.example.com", "dash.example.com:443", ["*"], True),
        ("http://dash.example.com:80", "dash.example.com", ["*"], True),
        ("https://DASH.example.com/", "dash.example.com", ["*"], True),
        ("http://127.0.0.1:8765", "127.0.0.1:8765", ["*"], True),
        ("http://evil.example", "dash.example.com", ["*"], False),  # "*" is HTTP-only
        ("http://127.0.0.1:9999", "127.0.0.1:8765", ["*"], False),  # another port
        ("http://localhost:8765", "127.0.0.1:8765", ["*"], False),  # another host name
        ("http://dash.example.com.evil.example", "dash.example.com", ["*"], False),
        ("null", "dash.example.com", ["*"], False),
        ("https://portal.example.com", "dash.example.com", ["https://portal.example.com/"], True),
        (
            "https://portal.example.com:443",
            "dash.example.com",
            ["https://portal.example.com"],
            True,
        ),
        ("http://portal.example.com", "dash.example.com", ["https://portal.example.com"], False),
        ("https://dash.example.com", None, ["*"], False),
        ("not a url", "dash.example.com", ["*"], False),
    ],
)
def test_origin_rule(origin, host, allowed, expected) -> None:
    assert origin_allowed(origin, host, allowed) is expected


def _refused(client, origin: str) -> int:
    with client.websocket_connect("/widget/demo/ws", headers={"Origin": origin}) as socket:
        reply = socket.receive_json()
        assert (reply["type"], reply["code"]) == ("error", "forbidden_origin")
        with pytest.raises(WebSocketDisconnect) as info:
            socket.receive_json()
    return info.value.code


def test_default_settings_refuse_other_sites_and_ports(add_widget, make_client) -> None:
    add_widget()
    client = make_client()  # CORS_ORIGINS ["*"]
    assert _refused(client, "http://evil.example") == 4403
    assert _refused(client, "http://testserver:8080") == 4403
    ws, _, welcome = connect(client, Origin="http://testserver")  # the server's own origin
    assert welcome["type"] == "welcome"
    ws.__exit__(None, None, None)
    ws, _, _ = connect(client)  # no Origin: a script, not a browser
    ws.__exit__(None, None, None)


def test_listed_origin_is_accepted_beside_the_wildcard(add_widget, make_client) -> None:
    add_widget()
    client = make_client(server={"cors_origins": ["*", "https://portal.example.com"]})
    ws, _, welcome = connect(client, Origin="https://portal.example.com")
    assert welcome["type"] == "welcome"
    ws.__exit__(None, None, None)
    assert _refused(client, "https://other.example.com") == 4403


def test_http_cors_stays_open_without_credentials(make_client) -> None:
    response = make_client().get("/healthz", headers={"Origin": "http://evil.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "name",
    [
        "PyWry:download",
        "PYWRY:alert",
        "TOOLBAR:secret-reveal",
        "Toolbar:secret-copy",
        "toolbar:Secret-Reveal",
        "Toolbar:state",
        "GRID:cell-edit",
        "Plotly:click",
        "pywry:set-content",
    ],
)
def test_reserved_names_in_any_case_are_refused(name: str) -> None:
    frame = f'{{"type": "event", "id": "e1", "event": "{name}", "data": null}}'
    with pytest.raises(ProtocolError) as info:
        parse_frame(frame, max_bytes=10_000)
    assert info.value.code == "reserved_event"


@pytest.mark.parametrize(
    "name",
    [
        "grid:cell-edit",
        "plotly:click",
        "toolbar:secret-reveal",
        "toolbar:state",
        "pywry:ready",
        "app:go",
        "App:Go",
        "pywryish:x",
    ],
)
def test_valid_names_still_pass(name: str) -> None:
    frame = f'{{"type": "event", "id": "e1", "event": "{name}", "data": null}}'
    assert parse_frame(frame, max_bytes=10_000).event == name  # type: ignore[union-attr]


def test_reserved_name_in_another_case_gets_an_error_reply(add_widget, make_client) -> None:
    widget = add_widget()
    seen: list[str] = []
    widget.on("app:probe", lambda data, event, label: seen.append(event))
    ws, socket, _ = connect(make_client())
    socket.send_json({"type": "event", "id": "x1", "event": "TOOLBAR:secret-reveal", "data": {}})
    reply = socket.receive_json()
    assert (reply["type"], reply["code"]) == ("error", "reserved_event")
    socket.send_json({"type": "ping"})
    assert socket.receive_json() == {"type": "pong"}
    ws.__exit__(None, None, None)
