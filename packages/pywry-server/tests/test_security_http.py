"""Security headers, API docs and readiness details as an HTTP client sees them."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pywry.assets import get_asset
from pywry.config import load_settings
from pywry.errors import BackendUnavailableError
from pywry.runtime import Runtime
from pywry.state.memory import MemoryBackend
from pywry_server import create_app
from pywry_server.auth import create_session
from starlette.testclient import TestClient

TOKEN = "operator-token-0123456789"


def _directives(policy: str) -> dict[str, str]:
    pairs = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {pair[0]: pair[1] for pair in pairs}


def _add_user_routes(client: TestClient) -> TestClient:
    app = cast(FastAPI, client.app)

    @app.get("/api/items")
    async def items() -> dict[str, list[int]]:
        return {"items": [1, 2]}

    @app.get("/own-policy", response_class=HTMLResponse)
    async def own_policy() -> HTMLResponse:
        headers = {"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "SAMEORIGIN"}
        return HTMLResponse("<p>mine</p>", headers=headers)

    return client


def test_widget_page_has_a_strict_policy_and_the_common_headers(add_widget, make_client) -> None:
    add_widget()
    page = make_client().get("/widget/demo")
    assert page.status_code == 200
    policy = _directives(page.headers["content-security-policy"])
    assert policy["script-src"] == "'self'"  # nothing inline, no eval, no other host
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in page.headers  # plain HTTP


def test_page_has_no_inline_script_and_its_settings_are_a_json_element(
    add_widget, make_client
) -> None:
    add_widget(title="</script><script>window.__xss=1</script>")
    html = make_client().get("/widget/demo").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    inline = [attrs for attrs, body in scripts if "src=" not in attrs]
    assert inline == [' type="application/json" id="pywry-config"']
    body = next(body for attrs, body in scripts if "pywry-config" in attrs)
    assert "<" not in body
    config = json.loads(body)
    assert config["label"] == "demo"
    assert config["wsPath"] == "/widget/demo/ws"
    assert "<script>window.__xss" not in html
    assert "&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;" in html  # the title


def test_eval_opt_in_adds_unsafe_eval_and_nothing_inline(add_widget, make_client) -> None:
    add_widget()
    page = make_client(server={"csp_allow_eval": True}).get("/widget/demo")
    policy = _directives(page.headers["content-security-policy"])
    assert policy["script-src"] == "'self' 'unsafe-eval'"


def test_json_routes_and_assets_get_no_page_policy(make_client) -> None:
    client = _add_user_routes(make_client())
    api = client.get("/api/items")
    assert api.json() == {"items": [1, 2]}
    asset = client.get(get_asset("bridge.js").url)
    for response in (api, asset, client.get("/healthz"), client.get("/nope")):
        assert "content-security-policy" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"


def test_headers_a_route_sets_itself_win(make_client) -> None:
    response = _add_user_routes(make_client()).get("/own-policy")
    assert response.headers["content-security-policy"] == "default-src 'none'"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("setting", "csp", "xfo"),
    [
        (["self"], "'self'", "SAMEORIGIN"),
        ("'self',https://portal.example.com", "'self' https://portal.example.com", None),
        (["https://*.example.com"], "https://*.example.com", None),
    ],
)
def test_frame_ancestors_setting_for_apps_that_embed(
    add_widget, make_client, setting: Any, csp: str, xfo: str | None
) -> None:
    add_widget()
    page = make_client(server={"frame_ancestors": setting}).get("/widget/demo")
    assert _directives(page.headers["content-security-policy"])["frame-ancestors"] == csp
    assert page.headers.get("x-frame-options") == xfo


def _https_client(runtime: Runtime, **server: Any) -> TestClient:
    settings = load_settings(server=server)
    app = create_app(settings=settings, backend_cls=MemoryBackend, runtime=runtime)
    return TestClient(app, base_url="https://testserver")


def test_hsts_over_https_only(add_widget, make_client, runtime: Runtime) -> None:
    add_widget()
    with _https_client(runtime) as secure:
        page = secure.get("/widget/demo")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
    with _https_client(runtime, hsts_max_age=0) as off:
        assert "strict-transport-security" not in off.get("/healthz").headers
    client = make_client()
    proxied = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in client.get("/healthz").headers


# -- API docs --------------------------------------------------------------------------


def test_api_docs_are_off_by_default(make_client) -> None:
    client = make_client()
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path


def test_api_docs_when_enabled_list_the_apps_routes_under_their_own_policy(make_client) -> None:
    client = _add_user_routes(make_client(server={"api_docs": True}))
    schema = client.get("/openapi.json").json()
    assert "/api/items" in schema["paths"]
    # PyWry's own routes are described once each (pywry_server/openapi.py), by template
    widget_paths = sorted(path for path in schema["paths"] if path.startswith("/widget"))
    assert widget_paths == [
        "/widget/{label}",
        "/widget/{label}/data",
        "/widget/{label}/upload",
        "/widget/{label}/upload/{token}/done",
        "/widget/{label}/upload/{token}/{file}/{piece}",
    ]
    methods = {path: sorted(schema["paths"][path]) for path in widget_paths}
    assert methods["/widget/{label}/upload/{token}/{file}/{piece}"] == ["put"]
    page = client.get("/docs")
    assert page.status_code == 200
    assert client.get("/redoc").status_code == 404  # FastAPI's CDN viewer: not served
    policy = _directives(page.headers["content-security-policy"])
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    assert policy["frame-ancestors"] == "'none'"
    styles = re.findall(r"<style>(.*?)</style>", page.text, re.S)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"
    assert "<script" not in page.text.lower()
    # every route of the schema is on the page, and nothing it links or loads is off-host
    for path in schema["paths"]:
        assert f"<code>{html.escape(path)}</code>" in page.text, path
    assert re.findall(r"\b(?:src|href)\s*=\s*\"([^\"]*)\"", page.text) == ["/openapi.json"]
    assert not re.search(r"(?:https?:)?//[a-z0-9]", page.text.replace("/openapi.json", ""), re.I)


def test_the_docs_page_escapes_what_routes_say(make_client) -> None:
    client = make_client(server={"api_docs": True})
    app = cast(FastAPI, client.app)

    @app.get("/api/evil", summary="<script>alert(1)</script>")
    async def evil() -> dict[str, str]:
        return {}

    page = client.get("/docs")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script" not in page.text.lower()


def test_api_docs_need_a_session_when_auth_is_on(make_client) -> None:
    client = make_client(server={"api_docs": True}, deploy={"auth_enabled": True})
    app = cast(FastAPI, client.app)

    @app.get("/login")
    async def login(request: Request) -> JSONResponse:
        response = JSONResponse({"ok": True})
        await create_session(request, response, user="alice")
        return response

    for path in ("/docs", "/openapi.json"):
        assert client.get(path).status_code == 401, path
    assert client.get("/login").status_code == 200
    for path in ("/docs", "/openapi.json"):
        assert client.get(path).status_code == 200, path


# -- readiness -------------------------------------------------------------------------


def test_readyz_says_only_ready_without_the_token(make_client) -> None:
    client = make_client(server={"readyz_token": TOKEN})
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": TOKEN},
    ):
        ready = client.get("/readyz", headers=headers)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}
    detailed = client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert detailed["status"] == "ready"
    assert detailed["backend"] == "memory"
    assert detailed["worker"]


def test_readyz_unavailable_hides_the_reason_without_the_token(
    make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(server={"readyz_token": TOKEN})
    backend = client.app.state.pywry.backend  # type: ignore[attr-defined]

    async def down() -> None:
        raise BackendUnavailableError("redis at 10.0.0.5:6379 refused the connection")

    monkeypatch.setattr(backend, "ping", down)
    plain = client.get("/readyz")
    assert plain.status_code == 503
    assert plain.json() == {"status": "unavailable"}
    detailed = client.get("/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert detailed.status_code == 503
    assert "10.0.0.5" in detailed.json()["detail"]


def test_readyz_without_a_configured_token_never_gives_details(make_client) -> None:
    ready = make_client().get("/readyz", headers={"Authorization": "Bearer anything-at-all-here"})
    assert ready.json() == {"status": "ready"}
