"""Session auth in a real server and headless Chromium (app: ``apps/auth_app.py``).

Without a session the widget page is 401; after ``/login`` the page at ``/``
connects and the Select runs its Python callback; logging out closes the open
socket with 4401 and the page says so. With two workers on Redis, a session made
by one worker is accepted by the other.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from pywry_state_redis.testing import redis_server_url
from servers import ServerProcess, start_server

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parent / "apps" / "auth_app.py"


@pytest.fixture
def app(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[ServerProcess]:
    # CONNECTION_TTL=3: the upkeep that notices ended sessions runs every second.
    env = {**backend_env, "PYWRY_DEPLOY__CONNECTION_TTL": "3"}
    server = start_server(APP, tmp_path, env=env)
    yield server
    server.stop()


def _logged_in_page(app: ServerProcess, new_page: Any) -> Any:
    recorded = new_page()
    response = recorded.page.goto(app.base_url + "/login?user=alice")
    assert response is not None and response.status == 200
    assert recorded.page.url == app.base_url + "/"
    recorded.wait_connected()
    return recorded


def test_without_login_the_widget_is_401(app: ServerProcess, new_page: Any) -> None:
    recorded = new_page()
    for path in ("/widget/auth-demo", "/widget/no-such-widget", "/"):
        response = recorded.page.goto(app.base_url + path)
        assert response is not None and response.status == 401, path
        assert response.json()["error"] == "unauthorized"
    assert httpx.get(app.base_url + "/healthz").status_code == 200


def test_after_login_the_select_round_trip_works(app: ServerProcess, new_page: Any) -> None:
    recorded = _logged_in_page(app, new_page)
    page = recorded.page
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "pywry_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert "pywry_session" not in page.evaluate("document.cookie")  # scripts cannot read it
    assert page.goto(app.base_url + "/widget/auth-demo").status == 200
    page.goto(app.base_url + "/")
    recorded.wait_connected()
    page.get_by_label("Region").select_option("north")
    call = app.wait_for_call("app:region")
    assert call["callback"] == "on_region"
    assert call["ok"] is True
    assert call["data"] == {"value": "north", "componentId": "region"}
    expect(page.locator("#status")).to_have_text("Region: north")
    assert recorded.off_server(app.base_url) == []


def test_logout_closes_the_socket_and_the_page_says_why(app: ServerProcess, new_page: Any) -> None:
    recorded = _logged_in_page(app, new_page)
    page = recorded.page
    assert page.request.get(app.base_url + "/logout").ok  # shares the page's cookies
    banner = page.locator("#pywry-unavailable")
    expect(banner).to_have_text(
        "Your session has expired. Reload the page or log in again.", timeout=15000
    )
    assert page.evaluate("window.pywry.state") == "closed"  # stopped, not reconnecting
    assert page.reload().status == 401


def test_a_session_from_one_worker_is_accepted_by_another(tmp_path: Path) -> None:
    env = {
        "PYWRY_SERVER__WORKERS": "2",
        "PYWRY_DEPLOY__STATE_BACKEND": "redis",
        "PYWRY_DEPLOY__REDIS_URL": redis_server_url(),
        "PYWRY_DEPLOY__REDIS_PREFIX": f"pywry-auth-{uuid.uuid4().hex[:8]}",
    }
    server = start_server(APP, tmp_path, env=env)
    try:
        login = httpx.post(server.base_url + "/api/login", params={"user": "carol"})
        assert login.status_code == 200, server.log()
        session_id, login_pid = login.json()["session"], login.json()["pid"]
        bearer = {"Authorization": f"Bearer {session_id}"}
        cookie = {"pywry_session": session_id}
        pids: set[int] = set()
        for _ in range(400):  # fresh connections until the other worker has answered
            whoami = httpx.get(server.base_url + "/whoami", headers=bearer)
            assert whoami.status_code == 200, whoami.text
            assert whoami.json()["user"] == "carol"
            pids.add(whoami.json()["pid"])
            page = httpx.get(server.base_url + "/widget/auth-demo", cookies=cookie)
            assert page.status_code == 200, page.text
            if pids - {login_pid}:
                break
            time.sleep(0.02)
        assert pids - {login_pid}, f"only worker {login_pid} answered; log:\n{server.log()}"
        assert httpx.get(server.base_url + "/whoami").status_code == 401
    finally:
        server.stop()
