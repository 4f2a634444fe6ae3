"""The edge answers public pages of this worker itself: the same page, the same headers."""

from __future__ import annotations

import gzip

from pywry.state.memory import MemoryBackend
from pywry.widgets.page import render_page
from pywry_server.app import create_app
from pywry_server.edge import Edge
from starlette.testclient import TestClient


def _edge_of(client: TestClient) -> Edge:
    app = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(app, Edge):
        app = app.app
    return app


def test_a_public_page_is_the_widgets_page_with_every_header(add_widget, make_client) -> None:
    widget = add_widget(content="<p>" + "Hello " * 300 + "</p>")
    client = make_client()
    plain = client.get("/widget/demo", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert plain.text == render_page(widget.to_record(), widget_prefix="/widget")
    assert plain.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in plain.headers["content-security-policy"]
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert plain.headers["x-frame-options"] == "DENY"
    assert len(plain.headers["x-request-id"]) == 32
    assert plain.headers["set-cookie"].startswith("pywry_anon=")
    with client.stream("GET", "/widget/demo", headers={"accept-encoding": "gzip"}) as zipped:
        body = b"".join(zipped.iter_raw())
        assert zipped.headers["content-encoding"] == "gzip"
        assert int(zipped.headers["content-length"]) == len(body)
    assert gzip.decompress(body).decode() == plain.text


def test_the_page_follows_the_widget_and_a_kept_cookie_is_not_set_again(
    add_widget, make_client
) -> None:
    widget = add_widget()
    client = make_client()
    first = client.get("/widget/demo", headers={"x-request-id": "trace-1"})
    assert first.headers["x-request-id"] == "trace-1"
    widget.update("<p>Version two</p>")
    again = client.get("/widget/demo")  # the client sends the cookie it was given
    assert "Version two" in again.text
    assert "set-cookie" not in again.headers


def test_what_the_edge_does_not_answer_takes_the_ordinary_route(add_widget, make_client) -> None:
    widget = add_widget()
    add_widget("staff", roles=["admin"])
    client = make_client()
    assert client.get("/widget/unknown").status_code == 404
    assert client.get("/widget/staff").status_code == 401
    assert client.post("/widget/demo").status_code == 405
    cross = client.get("/widget/demo", headers={"origin": "https://other.example"})
    assert cross.status_code == 200
    assert cross.headers["access-control-allow-origin"] == "*"
    assert cross.text == render_page(widget.to_record(), widget_prefix="/widget")


def test_with_login_sessions_on_pages_need_the_router(runtime, add_widget) -> None:
    from pywry.config import load_settings

    add_widget()
    settings = load_settings(deploy={"auth_enabled": True})
    with TestClient(create_app(settings=settings, backend_cls=MemoryBackend, runtime=runtime)) as c:
        assert _edge_of(c)._page_start is None
        assert c.get("/widget/demo").status_code == 401


def test_pywrys_routes_turn_other_paths_away_and_still_match_their_own() -> None:
    from pywry_server.routes import PlainRoute, PrefixedRoute
    from starlette.responses import PlainTextResponse
    from starlette.routing import Match

    async def endpoint(label: str) -> PlainTextResponse:
        return PlainTextResponse(label)

    async def page(request) -> PlainTextResponse:
        return PlainTextResponse("page")

    data = PrefixedRoute("/widget/{label}/data", endpoint, methods=["GET"])
    plain = PlainRoute("/widget/{label}", page, methods=["GET"])

    def scope(path: str, root_path: str = "") -> dict:
        return {"type": "http", "path": path, "root_path": root_path, "method": "GET"}

    for route in (data, plain):
        assert route.matches(scope("/"))[0] is Match.NONE
        assert route.matches(scope("/items/5"))[0] is Match.NONE
    match, child = data.matches(scope("/widget/demo/data"))
    assert match is Match.FULL and child["path_params"] == {"label": "demo"}
    match, child = plain.matches(scope("/app/widget/demo", root_path="/app"))
    assert match is Match.FULL and child["route"] is plain
