"""The app's ``authenticate(request)`` hook: a request without a session may be let in.

With auth on, a page, data request or socket that presents no session is asked of
the hook; its :class:`Identity` becomes an ordinary session (cookie on the HTTP answer,
roles checked by per-widget access), ``None`` or an exception refuses (401 / 4401).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pywry_server.auth import COOKIE_NAME, Identity, set_authenticator
from starlette.requests import HTTPConnection
from starlette.testclient import TestClient

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def _no_hook_after() -> Iterator[None]:
    yield
    set_authenticator(None)


def _from_header(conn: HTTPConnection) -> Identity | None:
    user = conn.headers.get("x-forwarded-user")
    return Identity(user, roles=["staff"]) if user else None


def test_a_request_the_hook_names_gets_the_page_and_a_session_cookie(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    add_widget()
    set_authenticator(_from_header)
    client = make_client(deploy={"auth_enabled": True})
    assert client.get("/widget/demo").status_code == 401  # the hook said no
    page = client.get("/widget/demo", headers={"X-Forwarded-User": "carol"})
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie
    again = client.get("/widget/demo")  # the cookie now: the hook is not needed
    assert again.status_code == 200 and "set-cookie" not in again.headers
    with client.websocket_connect("/widget/demo/ws?client=testclient01") as socket:
        socket.send_json({"type": "hello", "lastSeq": None})
        assert socket.receive_json()["type"] == "welcome"


def test_an_async_hook_and_its_roles_meet_per_widget_access(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    add_widget(label="staff", roles=["staff"])
    add_widget(label="admin", roles=["admin"])

    async def hook(conn: HTTPConnection) -> Identity | None:
        return _from_header(conn)

    set_authenticator(hook)
    client = make_client(deploy={"auth_enabled": True})
    headers = {"X-Forwarded-User": "dave"}
    assert client.get("/widget/staff", headers=headers).status_code == 200
    assert client.get("/widget/admin", headers=headers).status_code == 403


def test_a_socket_without_a_cookie_is_asked_of_the_hook_too(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    add_widget()
    set_authenticator(_from_header)
    client = make_client(deploy={"auth_enabled": True})
    headers = {"X-Forwarded-User": "erin"}
    with client.websocket_connect("/widget/demo/ws?client=testclient01", headers=headers) as ws:
        ws.send_json({"type": "hello", "lastSeq": None})
        assert ws.receive_json()["type"] == "welcome"
    with client.websocket_connect("/widget/demo/ws?client=testclient01") as ws:
        frame = ws.receive_json()
        assert frame["code"] == "unauthorized"


@pytest.mark.parametrize("answer", ["not an identity", RuntimeError("bug in the hook")])
def test_a_hook_that_fails_or_answers_nonsense_refuses(
    add_widget: Callable[..., Any],
    make_client: MakeClient,
    answer: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    add_widget()

    def hook(conn: HTTPConnection) -> Any:
        if isinstance(answer, Exception):
            raise answer
        return answer

    set_authenticator(hook)
    client = make_client(deploy={"auth_enabled": True})
    assert client.get("/widget/demo").status_code == 401
    assert "authenticate hook" in caplog.text


def test_without_auth_the_hook_is_not_asked(
    add_widget: Callable[..., Any], make_client: MakeClient
) -> None:
    add_widget()
    asked: list[str] = []

    def hook(conn: HTTPConnection) -> Identity | None:
        asked.append(conn.url.path)
        return Identity("x")

    set_authenticator(hook)
    client = make_client()
    assert client.get("/widget/demo").status_code == 200
    assert asked == []
    with pytest.raises(TypeError):
        set_authenticator("not callable")  # type: ignore[arg-type]
