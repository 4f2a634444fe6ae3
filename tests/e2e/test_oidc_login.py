"""Log in through a real OpenID Connect provider (oidc-provider under Node, on loopback).

The app runs with ``AUTH_ENABLED`` and ``OIDC_ISSUER``: a browser without a session that
opens the widget page is sent to the provider's login form, signs in as ``alice``,
consents, and comes back to the page with a PyWry session; its socket's events run
with ``ctx.user == "alice"``. The login is started on one server and completed on
another that shares the Redis backend (the pending login lives in the backend). The
same callback URL used twice, a callback without the browser's login cookie, and a
``next`` pointing off the site are refused or ignored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, oidc_provider
from pywry_state_redis.testing import redis_server_url
from servers import ServerProcess, free_port, start_server

APP = Path(__file__).resolve().parents[1] / "oidc" / "apps" / "login_app.py"
WHOAMI = """() => new Promise(resolve => {
  window.pywry.on('app:you', data => resolve(data.user));
  window.pywry.emit('app:whoami', {});
})"""


def _env(issuer: str, redis_url: str, prefix: str, redirect: str | None = None) -> dict[str, str]:
    env = {
        "PYWRY_DEPLOY__AUTH_ENABLED": "true",
        "PYWRY_DEPLOY__STATE_BACKEND": "redis",
        "PYWRY_DEPLOY__REDIS_URL": redis_url,
        "PYWRY_DEPLOY__REDIS_PREFIX": prefix,
        "PYWRY_DEPLOY__OIDC_ISSUER": issuer,
        "PYWRY_DEPLOY__OIDC_CLIENT_ID": CLIENT_ID,
        "PYWRY_DEPLOY__OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "PYWRY_DEPLOY__OIDC_SCOPES": "openid,email,roles",
        "PYWRY_DEPLOY__OIDC_USER_CLAIM": "sub",
    }
    if redirect is not None:
        env["PYWRY_DEPLOY__OIDC_REDIRECT_URL"] = redirect
    return env


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess, Provider]]:
    """Two app servers on one Redis (B takes every callback) and the provider."""
    provider_port = free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    redis_url, prefix = redis_server_url(), f"pywry-oidc-{uuid.uuid4().hex[:8]}"
    (tmp_path / "b").mkdir()
    b = start_server(APP, tmp_path / "b", env=_env(issuer, redis_url, prefix))
    callback = b.base_url + "/auth/callback"
    (tmp_path / "a").mkdir()
    a = start_server(APP, tmp_path / "a", env=_env(issuer, redis_url, prefix, callback))
    try:
        with oidc_provider(provider_port, [callback], tmp_path) as provider:
            yield a, b, provider
    finally:
        a.stop()
        b.stop()


def _sign_in(page: Any, account: str) -> None:
    """The provider's own login and consent forms (its development interactions)."""
    page.wait_for_selector("input[name=login]", timeout=15000)
    page.fill("input[name=login]", account)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]", timeout=15000)  # consent
    page.click("button[type=submit]")


def test_a_browser_logs_in_at_the_provider_and_its_socket_runs_as_that_user(
    servers: tuple[ServerProcess, ServerProcess, Provider], new_page: Any
) -> None:
    a, b, provider = servers
    recorded = new_page()
    page = recorded.page
    callbacks: list[str] = []
    page.on("request", lambda req: callbacks.append(req.url) if "/auth/callback" in req.url else 0)
    page.goto(a.base_url + "/widget/board")  # started on A: no session, so to the login
    assert page.url.startswith(provider.issuer)
    _sign_in(page, "alice")
    page.wait_for_url(b.base_url + "/widget/board", timeout=15000)  # completed on B
    recorded.wait_connected()
    assert page.text_content("h1") == "Private board"
    assert page.evaluate(WHOAMI) == "alice"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["pywry_session"]["httpOnly"] is True
    assert "pywry_login" not in cookies  # the pending login's cookie is gone

    # The same session works on A (it lives in Redis).
    page.goto(a.base_url + "/widget/board")
    recorded.wait_connected()
    assert page.evaluate(WHOAMI) == "alice"

    # The callback URL a second time: the login was used once.
    assert len(callbacks) == 1
    again = page.goto(callbacks[0])
    assert again is not None and again.status == 400
    assert again.json()["error"] == "login_failed"  # its one-use cookie went with the login

    # A callback from a browser that did not start the login is refused.
    stranger = httpx.get(callbacks[0], timeout=10)
    assert stranger.status_code == 400 and "not started in this browser" in stranger.text


def test_next_off_the_site_is_ignored_api_clients_get_401_and_logout_ends_the_session(
    servers: tuple[ServerProcess, ServerProcess, Provider], new_page: Any
) -> None:
    a, b, _ = servers
    api = httpx.get(a.base_url + "/widget/board", timeout=10)  # no Accept: text/html
    assert api.status_code == 401
    recorded = new_page()
    page = recorded.page
    page.goto(a.base_url + "/auth/login?next=//evil.example/steal")
    _sign_in(page, "bob")
    page.wait_for_url(b.base_url + "/", timeout=15000)
    assert "evil.example" not in page.url
    session = {c["name"]: c["value"] for c in page.context.cookies()}["pywry_session"]
    bearer = {"Authorization": f"Bearer {session}"}
    assert httpx.get(a.base_url + "/widget/board", headers=bearer, timeout=10).status_code == 200
    page.goto(b.base_url + "/auth/logout")
    assert "pywry_session" not in {c["name"] for c in page.context.cookies()}
    assert httpx.get(a.base_url + "/widget/board", headers=bearer, timeout=10).status_code == 401


def test_the_roles_claim_decides_per_widget_access(
    servers: tuple[ServerProcess, ServerProcess, Provider], new_page: Any
) -> None:
    """alice's provider account has the ``admin`` role, bob's has not."""
    a, b, _ = servers
    statuses: dict[str, int] = {}
    for account in ("alice", "bob"):
        page = new_page().page
        page.goto(a.base_url + "/auth/login?next=/widget/board")
        _sign_in(page, account)
        page.wait_for_url(b.base_url + "/widget/board", timeout=15000)
        shown = page.goto(a.base_url + "/widget/admin-board")  # the other server
        assert shown is not None
        statuses[account] = shown.status
    assert statuses == {"alice": 200, "bob": 403}
