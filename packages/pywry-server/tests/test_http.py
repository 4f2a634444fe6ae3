"""HTTP routes: widget pages, assets, health."""

from __future__ import annotations

import gzip
import re

import pytest
from pywry.assets import get_asset


def test_widget_page_is_served(add_widget, make_client) -> None:
    add_widget("demo", title="Sales <b>2026</b>")
    client = make_client()
    response = client.get("/widget/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Sales &lt;b&gt;2026&lt;/b&gt;</title>" in response.text
    assert "<p id='hello'>Hello</p>" in response.text
    assert get_asset("bridge.js").url in response.text


def test_unknown_widget_gives_404_not_500(make_client) -> None:
    client = make_client()
    response = client.get("/widget/missing")
    assert response.status_code == 404
    assert response.json()["error"] == "widget_not_found"


@pytest.mark.parametrize("path", ["/widget/missing", "/widget/missing/data"])
def test_a_404_names_only_the_asked_label(add_widget, make_client, path: str) -> None:
    for label in ("admin-panel", "alice-report-7f3a", "demo"):  # other users' widgets
        add_widget(label)
    client = make_client()
    response = client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "widget_not_found"
    assert "'missing'" in body["detail"]
    for label in ("admin-panel", "alice-report-7f3a", "demo"):
        assert label not in response.text


def test_widget_prefix_setting_moves_routes(add_widget, make_client) -> None:
    add_widget("demo")
    client = make_client(server={"widget_prefix": "/apps"})
    assert client.get("/apps/demo").status_code == 200
    assert client.get("/widget/demo").status_code == 404
    assert '"wsPath":"/apps/demo/ws"' in client.get("/apps/demo").text


def test_hashed_asset_is_immutable_and_revalidates(make_client) -> None:
    client = make_client()
    asset = get_asset("bridge.js")
    response = client.get(asset.url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == asset.content
    again = client.get(asset.url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_unhashed_or_stale_asset_name_is_not_cached_forever(make_client) -> None:
    client = make_client()
    plain = client.get("/pywry/assets/bridge.js")
    assert plain.status_code == 200
    assert plain.headers["cache-control"] == "no-cache"
    stale = client.get("/pywry/assets/bridge.000000000000.js")
    assert stale.headers["cache-control"] == "no-cache"


def test_plotly_js_comes_from_the_installed_package_gzipped(make_client) -> None:
    client = make_client()
    asset = get_asset("plotly.min.js")
    response = client.get(asset.url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == asset.content  # httpx decodes gzip
    raw_size = len(gzip.compress(asset.content))
    assert raw_size < len(asset.content) / 2
    assert re.search(rb"plotly\.js v\d", asset.content[:500])


def test_unknown_asset_is_404(make_client) -> None:
    assert make_client().get("/pywry/assets/nope.js").status_code == 404


def test_health_and_readiness(make_client) -> None:
    client = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}  # details need the token: test_security_http


def test_widget_page_is_gzipped_for_browsers_that_accept_it(add_widget, make_client) -> None:
    add_widget(content="<p>" + "row " * 500 + "</p>")
    client = make_client()
    page = client.get("/widget/demo", headers={"accept-encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert "row row" in page.text
    plain = client.get("/widget/demo", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
