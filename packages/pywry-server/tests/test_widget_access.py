"""Per-widget access as browsers and API clients see it: HTTP, the socket, events, upkeep."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pywry.access import AccessRequest, default_access_check, session_digest
from pywry.config import load_settings
from pywry.inline import set_access_check, show
from pywry.runtime import Runtime, current_runtime
from pywry.state.memory import MemoryBackend
from pywry.widgets import DataFrameWidget
from pywry.widgets.dataframe import dataframe_to_table
from pywry_server import create_app
from pywry_server.auth import create_session, end_session
from pywry_server.viewers import ANON_COOKIE
from server_support import connect, wait_until
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def _default_check() -> Iterator[None]:
    yield
    set_access_check(None)


def _grid(runtime: Runtime, label: str, **access: Any) -> DataFrameWidget:
    table = dataframe_to_table([{"n": 1, "secret": "payroll"}])
    widget = DataFrameWidget(
        runtime,
        label=label,
        title="Grid",
        content='<div id="pywry-grid"></div>',
        payload={"table": table, "options": {"editable": False, "csvFilename": "g.csv"}},
        **access,
    )
    runtime.add(widget)
    return widget


def _with_login(client: TestClient) -> TestClient:
    app = cast(FastAPI, client.app)

    @app.get("/login")
    async def login(request: Request, user: str, roles: str = "") -> JSONResponse:
        response = JSONResponse({"ok": True})
        names = [name for name in roles.split(",") if name]
        response.headers["X-Session-Id"] = await create_session(
            request, response, user=user, roles=names
        )
        return response

    @app.get("/logout")
    async def logout(request: Request) -> JSONResponse:
        response = JSONResponse({"ok": True})
        await end_session(request, response)
        return response

    return client


def _login(client: TestClient, user: str, roles: str = "") -> str:
    response = client.get("/login", params={"user": user, "roles": roles})
    assert response.status_code == 200, response.text
    return str(response.headers["x-session-id"])


def _refused(client: TestClient, label: str) -> None:
    """The socket gets ``forbidden_widget`` and is closed with 4403."""
    with client.websocket_connect(f"/widget/{label}/ws?client=testclient01") as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        frame = socket.receive_json()
        assert frame["type"] == "error" and frame["code"] == "forbidden_widget", frame
        with pytest.raises(WebSocketDisconnect) as info:
            socket.receive_json()
    assert info.value.code == 4403


@pytest.fixture
def auth_client(runtime: Runtime, add_widget: Callable[..., Any], make_client: MakeClient) -> Any:
    add_widget("admin-page", roles=["admin"])
    _grid(runtime, "admin-grid", roles=["admin", "ops"])
    add_widget("open")
    return _with_login(make_client(deploy={"auth_enabled": True}))


@pytest.mark.parametrize("path", ["/widget/admin-page", "/widget/admin-grid/data"])
def test_roles_over_http_401_403_200(auth_client: TestClient, path: str) -> None:
    assert auth_client.get(path).status_code == 401  # no session
    _login(auth_client, "bob", roles="viewer")
    refused = auth_client.get(path)
    assert refused.status_code == 403
    assert refused.json() == {"error": "forbidden"}
    assert "payroll" not in refused.text
    assert auth_client.get("/widget/open").status_code == 200  # bob still sees open widgets
    _login(auth_client, "alice", roles="viewer,admin")  # any one of the roles is enough
    allowed = auth_client.get(path)
    assert allowed.status_code == 200
    if path.endswith("/data"):
        assert allowed.json()["table"]["rows"] == [[1, "payroll"]]


def test_roles_apply_with_auth_off_too(runtime: Runtime, make_client: MakeClient) -> None:
    _grid(runtime, "ops-grid", roles=["ops"])
    client = _with_login(make_client())
    assert client.get("/widget/ops-grid").status_code == 401  # a login is needed
    _login(client, "carol", roles="ops")
    assert client.get("/widget/ops-grid/data").status_code == 200


def test_404_lists_no_labels(auth_client: TestClient, add_widget: Callable[..., Any]) -> None:
    for n in range(12):
        add_widget(f"users-report-{n}")
    _login(auth_client, "bob")
    response = auth_client.get("/widget/no-such-widget")
    assert response.status_code == 404
    assert "users-report" not in response.text
    assert "admin" not in response.text and "open" not in response.text.replace("no-such", "")


def test_socket_hello_refused_for_a_widget_without_the_role(auth_client: TestClient) -> None:
    _login(auth_client, "bob", roles="viewer")
    _refused(auth_client, "admin-page")
    ws, _socket, welcome = connect(auth_client, "open")  # the same session, an open widget
    assert welcome["type"] == "welcome"
    ws.__exit__(None, None, None)
    _login(auth_client, "alice", roles="admin")
    ws, _socket, welcome = connect(auth_client, "admin-page")
    assert welcome["type"] == "welcome"
    ws.__exit__(None, None, None)


@pytest.fixture
def process_client() -> Iterator[TestClient]:
    """An app serving the process's own runtime (what ``show()`` registers in)."""
    app = create_app(settings=load_settings(), backend_cls=MemoryBackend, runtime=current_runtime())
    with TestClient(app) as client:
        yield client
    for widget in current_runtime().widgets():
        if widget.label.startswith("mine-"):
            current_runtime().forget(widget.label)


def test_private_widget_made_in_a_request_handler(process_client: TestClient) -> None:
    app = cast(FastAPI, process_client.app)

    @app.get("/mine")
    async def mine() -> JSONResponse:  # a request handler: the widget is the request's session's
        widget = show("<p>just for you</p>", label="mine-1", private=True)
        return JSONResponse({"label": widget.label})

    first = process_client.get("/mine")
    anon = first.cookies.get(ANON_COOKIE)  # a JSON answer sets the cookie of that session
    assert anon, first.headers
    widget = current_runtime().get("mine-1")
    assert widget is not None and widget.access.private_to == session_digest(anon)
    page = process_client.get("/widget/mine-1")
    assert page.status_code == 200 and "just for you" in page.text
    ws, _, _ = connect(process_client, "mine-1")
    ws.__exit__(None, None, None)
    process_client.cookies.clear()
    process_client.cookies.set(ANON_COOKIE, "z" * 24)  # another browser
    assert process_client.get("/widget/mine-1").status_code == 403  # a session, not this one
    _refused(process_client, "mine-1")


def test_private_widget_over_http_and_socket(runtime: Runtime, make_client: MakeClient) -> None:
    client = make_client()
    own = "a" * 24
    _grid(runtime, "private-grid", private_to=session_digest(own))
    client.cookies.set(ANON_COOKIE, own)
    assert client.get("/widget/private-grid/data").status_code == 200
    ws, _, _ = connect(client, "private-grid")
    ws.__exit__(None, None, None)
    client.cookies.set(ANON_COOKIE, "b" * 24)  # another browser
    assert client.get("/widget/private-grid").status_code == 403  # another's private widget
    client.cookies.clear()
    assert client.get("/widget/private-grid").status_code == 401  # no session at all
    _refused(client, "private-grid")


def test_event_refused_when_access_is_revoked_and_no_callback_runs(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    calls: list[Any] = []
    banned: set[str] = set()

    def check(request: AccessRequest) -> bool:
        return request.widget.label not in banned and default_access_check(request)

    set_access_check(check)
    add_widget(callbacks={"app:go": lambda data: calls.append(data)})
    ws, socket, _ = connect(make_client())
    socket.send_json({"type": "event", "id": "e1", "event": "app:go", "data": 1})
    assert socket.receive_json() == {"type": "ack", "id": "e1", "status": "ok"}
    wait_until(lambda: calls == [1])
    banned.add("demo")
    socket.send_json({"type": "event", "id": "e2", "event": "app:go", "data": 2})
    reply = socket.receive_json()
    assert reply["type"] == "error" and reply["code"] == "forbidden_widget"
    assert reply["id"] == "e2"
    socket.send_json({"type": "ping"})
    assert socket.receive_json() == {"type": "pong"}  # the reply came after nothing ran
    assert calls == [1]
    ws.__exit__(None, None, None)


def test_custom_check_sync_and_async_on_every_door(
    runtime: Runtime, add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    asked: list[tuple[str, str | None]] = []

    async def only_carol(request: AccessRequest) -> bool:
        asked.append((request.widget.label, request.viewer.user))
        return request.viewer.user == "carol"

    set_access_check(only_carol)
    add_widget("open-but-checked")
    _grid(runtime, "grid-checked")
    client = _with_login(make_client(deploy={"auth_enabled": True}))
    _login(client, "bob")
    assert client.get("/widget/open-but-checked").status_code == 403
    assert client.get("/widget/grid-checked/data").status_code == 403
    _refused(client, "open-but-checked")
    _login(client, "carol")
    assert client.get("/widget/open-but-checked").status_code == 200
    assert client.get("/widget/grid-checked/data").status_code == 200
    ws, _, _ = connect(client, "open-but-checked")
    ws.__exit__(None, None, None)
    assert ("open-but-checked", "bob") in asked and ("grid-checked", "carol") in asked

    def broken(request: AccessRequest) -> bool:
        raise RuntimeError("the directory is down")

    set_access_check(broken)  # a failing check refuses
    assert client.get("/widget/open-but-checked").status_code == 403


def _receive(socket: Any, timeout: float = 15.0) -> Any:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(socket.receive())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert out, f"nothing received within {timeout}s"
    return out[0]


def test_upkeep_closes_a_socket_whose_session_lost_its_role(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    add_widget("ops-only", roles=["ops"])
    # auth off, a login session for the roles; CONNECTION_TTL=3: upkeep every second
    client = _with_login(make_client(deploy={"connection_ttl": 3}))
    _login(client, "dave", roles="ops")
    ws, socket, _ = connect(client, "ops-only")
    client.get("/logout")  # the session is gone on every worker
    frame = _receive(socket)
    assert frame["type"] == "websocket.send" and '"code":"forbidden_widget"' in frame["text"]
    closed = _receive(socket)
    assert closed["type"] == "websocket.close" and closed["code"] == 4403
    ws.__exit__(None, None, None)


def test_a_widget_shown_again_with_roles_refuses_the_next_event(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    calls: list[Any] = []
    add_widget(callbacks={"app:go": lambda data: calls.append(data)})
    ws, socket, _ = connect(make_client())
    add_widget(roles=["admin"], callbacks={"app:go": lambda data: calls.append(data)})
    socket.send_json({"type": "event", "id": "e1", "event": "app:go", "data": 1})
    reply = socket.receive_json()
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "forbidden_widget", "e1")
    socket.send_json({"type": "ping"})
    assert socket.receive_json() == {"type": "pong"}
    assert calls == []
    ws.__exit__(None, None, None)
