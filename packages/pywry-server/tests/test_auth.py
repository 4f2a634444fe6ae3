"""Session auth (``PYWRY_DEPLOY__AUTH_ENABLED``) as a browser or an API client sees it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, cast

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pywry.state.records import SessionRecord
from pywry_server.auth import (
    COOKIE_NAME,
    create_session,
    current_session,
    end_session,
    require_session,
)
from starlette.testclient import TestClient

MakeClient = Callable[..., TestClient]


def _add_login_routes(client: TestClient) -> TestClient:
    """The routes an app owner writes: log in, log out, who am I."""
    app = cast(FastAPI, client.app)

    @app.get("/login")
    async def login(request: Request, user: str = "alice") -> JSONResponse:
        response = JSONResponse({"ok": True})
        session_id = await create_session(request, response, user=user, data={"role": "viewer"})
        response.headers["X-Session-Id"] = session_id
        return response

    @app.get("/logout")
    async def logout(request: Request) -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.headers["X-Removed"] = str(await end_session(request, response))
        return response

    @app.get("/me")
    async def me(
        request: Request, session: Annotated[SessionRecord | None, Depends(require_session)]
    ) -> dict[str, Any]:
        again = await current_session(request)
        assert again == session
        return {"user": session.user if session else None, "data": session.data if session else {}}

    return client


@pytest.fixture
def auth_client(add_widget: Callable[..., Any], make_client: MakeClient) -> TestClient:
    add_widget()
    return _add_login_routes(make_client(deploy={"auth_enabled": True}))


def _login(client: TestClient, user: str = "alice", **headers: str) -> Any:
    response = client.get("/login", params={"user": user}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def _receive(socket: Any, timeout: float = 15.0) -> Any:
    """``socket.receive()`` that fails the test instead of hanging forever."""
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


def _assert_closed_unauthorized(socket: Any) -> None:
    frame = _receive(socket)
    assert frame["type"] == "websocket.send", frame
    assert '"code":"unauthorized"' in frame["text"]
    closed = _receive(socket)
    assert closed["type"] == "websocket.close", closed
    assert closed["code"] == 4401


# -- HTTP ----------------------------------------------------------------------
def test_auth_disabled_changes_nothing(add_widget: Any, make_client: MakeClient) -> None:
    add_widget()
    client = make_client()
    assert client.get("/widget/demo").status_code == 200
    assert client.get("/widget/missing").status_code == 404


@pytest.mark.parametrize("path", ["/widget/demo", "/widget/demo/data", "/widget/no-such"])
def test_widget_routes_need_a_session(auth_client: TestClient, path: str) -> None:
    response = auth_client.get(path)
    assert response.status_code == 401  # also for unknown labels: no hint what exists
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"


def test_health_and_assets_stay_public(auth_client: TestClient) -> None:
    assert auth_client.get("/healthz").status_code == 200
    assert auth_client.get("/readyz").status_code == 200
    assert auth_client.get("/pywry/assets/bridge.js").status_code == 200


def test_login_sets_a_safe_cookie_and_opens_the_widget(auth_client: TestClient) -> None:
    response = _login(auth_client)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}={response.headers['x-session-id']};")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http
    page = auth_client.get("/widget/demo")
    assert page.status_code == 200
    assert "Hello" in page.text
    assert auth_client.get("/widget/no-such").status_code == 404  # after auth passed
    assert auth_client.get("/me").json() == {"user": "alice", "data": {"role": "viewer"}}


def test_cookie_is_secure_behind_an_https_proxy(auth_client: TestClient) -> None:
    cookie = _login(auth_client, **{"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    assert "Secure" in cookie


def test_bearer_header_for_api_clients(auth_client: TestClient) -> None:
    session_id = _login(auth_client).headers["x-session-id"]
    auth_client.cookies.clear()
    assert auth_client.get("/widget/demo").status_code == 401
    bearer = {"Authorization": f"Bearer {session_id}"}
    assert auth_client.get("/widget/demo", headers=bearer).status_code == 200
    assert auth_client.get("/me", headers=bearer).json()["user"] == "alice"
    forged = {"Authorization": "Bearer " + "x" * 43}
    assert auth_client.get("/widget/demo", headers=forged).status_code == 401
    assert auth_client.get("/widget/demo", headers={"Authorization": "Bearer ;;"}).status_code == (
        401
    )


def test_garbage_cookie_is_refused(auth_client: TestClient) -> None:
    auth_client.cookies.set(COOKIE_NAME, "not a session")
    assert auth_client.get("/widget/demo").status_code == 401


def test_logout_removes_the_session_everywhere(auth_client: TestClient) -> None:
    session_id = _login(auth_client).headers["x-session-id"]
    response = auth_client.get("/logout")
    assert response.headers["x-removed"] == "True"
    assert 'pywry_session=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert auth_client.get("/widget/demo").status_code == 401
    bearer = {"Authorization": f"Bearer {session_id}"}
    assert auth_client.get("/widget/demo", headers=bearer).status_code == 401


def test_session_expires_after_its_ttl(add_widget: Any, make_client: MakeClient) -> None:
    add_widget()
    client = _add_login_routes(make_client(deploy={"auth_enabled": True, "session_ttl": 1}))
    _login(client)
    assert client.get("/widget/demo").status_code == 200
    time.sleep(1.5)  # unused for longer than SESSION_TTL
    assert client.get("/widget/demo").status_code == 401


def test_use_renews_the_session(add_widget: Any, make_client: MakeClient) -> None:
    add_widget()
    client = _add_login_routes(make_client(deploy={"auth_enabled": True, "session_ttl": 3}))
    _login(client)
    for _ in range(3):  # 4.5 s in all, more than SESSION_TTL, each step well within it
        time.sleep(1.5)
        assert client.get("/widget/demo").status_code == 200


def test_require_session_follows_the_setting(add_widget: Any, make_client: MakeClient) -> None:
    add_widget()
    client = _add_login_routes(make_client())
    assert client.get("/me").json() == {"user": None, "data": {}}
    _login(client, user="bob")
    assert client.get("/me").json()["user"] == "bob"


# -- WebSocket -----------------------------------------------------------------
@pytest.mark.parametrize("label", ["demo", "no-such"])
def test_socket_without_session_is_closed_4401(auth_client: TestClient, label: str) -> None:
    with auth_client.websocket_connect(f"/widget/{label}/ws?client=testclient01") as socket:
        _assert_closed_unauthorized(socket)


def test_socket_with_cookie_or_bearer_works(auth_client: TestClient) -> None:
    session_id = _login(auth_client).headers["x-session-id"]
    with auth_client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"
    auth_client.cookies.clear()
    bearer = {"Authorization": f"Bearer {session_id}"}
    with auth_client.websocket_connect("/widget/demo/ws", headers=bearer) as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"


def test_event_after_logout_closes_4401_without_running_callback(
    add_widget: Any, make_client: MakeClient
) -> None:
    calls: list[Any] = []
    add_widget(callbacks={"app:go": lambda data: calls.append(data)})
    client = _add_login_routes(make_client(deploy={"auth_enabled": True}))
    _login(client)
    with client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"
        socket.send_json({"type": "event", "id": "e1", "event": "app:go", "data": 1})
        assert socket.receive_json() == {"type": "ack", "id": "e1", "status": "ok"}
        client.get("/logout")
        socket.send_json({"type": "event", "id": "e2", "event": "app:go", "data": 2})
        _assert_closed_unauthorized(socket)
    assert 2 not in calls


def test_idle_socket_is_closed_4401_when_its_session_expires(
    add_widget: Any, make_client: MakeClient
) -> None:
    add_widget()
    # CONNECTION_TTL=3 runs the upkeep every second; the session lives one second.
    settings = {"auth_enabled": True, "session_ttl": 1, "connection_ttl": 3}
    client = _add_login_routes(make_client(deploy=settings))
    _login(client)
    with client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"
        _assert_closed_unauthorized(socket)  # sent nothing: an upkeep round closes it
    with client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        _assert_closed_unauthorized(socket)  # and the page cannot come back


# -- rotation and absolute lifetime -------------------------------------------------
def test_login_replaces_the_session_the_request_presented(auth_client: TestClient) -> None:
    first = _login(auth_client).headers["x-session-id"]
    second = _login(auth_client, user="alice").headers["x-session-id"]  # cookie: first
    assert second != first
    assert auth_client.cookies.get(COOKIE_NAME) == second
    assert auth_client.get("/widget/demo").status_code == 200
    old = {"Authorization": f"Bearer {first}"}
    assert auth_client.get("/widget/demo", headers=old).status_code == 401
    with auth_client.websocket_connect("/widget/demo/ws", headers=old) as socket:
        _assert_closed_unauthorized(socket)


def test_a_fixated_session_id_dies_when_the_victim_logs_in(
    add_widget: Any, make_client: MakeClient
) -> None:
    add_widget()
    attacker = _add_login_routes(make_client(deploy={"auth_enabled": True}))
    planted = _login(attacker, user="mallory").headers["x-session-id"]
    victim = TestClient(attacker.app)
    victim.cookies.set(COOKIE_NAME, planted)  # set by the attacker before the login
    mine = _login(victim, user="victim").headers["x-session-id"]
    assert mine != planted
    assert victim.get("/me").json()["user"] == "victim"
    assert attacker.get("/widget/demo").status_code == 401  # the planted id is dead


def test_a_session_ends_at_its_max_age_however_often_it_is_used(
    add_widget: Any, make_client: MakeClient
) -> None:
    add_widget()
    settings = {"auth_enabled": True, "session_ttl": 3600, "session_max_age": 3}
    client = _add_login_routes(make_client(deploy=settings))
    started = time.monotonic()
    session_id = _login(client).headers["x-session-id"]
    statuses: list[int] = []
    while time.monotonic() - started < 5:
        statuses.append(client.get("/widget/demo").status_code)
        time.sleep(0.25)
    assert statuses[0] == 200
    assert statuses[-1] == 401
    assert statuses == sorted(statuses)  # 200s, then 401s only: never renewed past the age
    bearer = {"Authorization": f"Bearer {session_id}"}
    assert client.get("/me", headers=bearer).status_code == 401


def test_a_busy_socket_is_closed_4401_at_the_max_age(
    add_widget: Any, make_client: MakeClient
) -> None:
    calls: list[Any] = []
    add_widget(callbacks={"app:go": lambda data: calls.append(data)})
    settings = {"auth_enabled": True, "session_ttl": 3600, "session_max_age": 2}
    client = _add_login_routes(make_client(deploy=settings))
    started = time.monotonic()
    _login(client)
    with client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"
        sent = 0
        while time.monotonic() - started < 1:  # well within the age: every event runs
            sent += 1
            socket.send_json({"type": "event", "id": f"e{sent}", "event": "app:go", "data": sent})
            assert _receive(socket)["text"] == f'{{"type":"ack","id":"e{sent}","status":"ok"}}'
            time.sleep(0.1)
        time.sleep(max(0.0, started + 2.5 - time.monotonic()))
        socket.send_json({"type": "event", "id": "late", "event": "app:go", "data": "late"})
        _assert_closed_unauthorized(socket)
    assert "late" not in calls
