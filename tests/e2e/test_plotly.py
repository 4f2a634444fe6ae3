"""Plotly charts in headless Chromium: events with point data, Python updates, theme,
and a million-point figure that is fetched once rather than inlined."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from servers import ROOT, ServerProcess, start_server

pytestmark = pytest.mark.e2e

APPS = ROOT / "tests" / "e2e" / "apps"


@pytest.fixture
def plotly_app(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(APPS / "plotly_app.py", tmp_path, env=backend_env)
    yield server
    server.stop()


def _open(server: ServerProcess, new_page, path: str = "/"):
    recorded = new_page()
    recorded.page.goto(server.base_url + path)
    # generous: a million points on a loaded 2-core CI machine (correctness, not speed)
    recorded.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=120000)
    recorded.wait_connected()
    return recorded


def _point_position(page, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of data point (x, y) on the first axes."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
                const gd = document.getElementById('pywry-plot');
                const box = gd.getBoundingClientRect();
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                return [box.left + xa._offset + xa.l2p(x), box.top + ya._offset + ya.l2p(y)];
            }""",
            [x, y],
        )
    )


def _data_gets(server: ServerProcess, label: str) -> int:
    return len(re.findall(rf'"GET /widget/{label}/data\?v=\w+ HTTP/1.1" 200', server.log()))


def test_chart_is_fetched_once_and_cached(plotly_app, new_page) -> None:
    recorded = _open(plotly_app, new_page)
    assert recorded.off_server(plotly_app.base_url) == []
    html = httpx.get(plotly_app.base_url + "/").text
    assert "customdata" not in html  # the figure is not inlined
    assert _data_gets(plotly_app, "chart") == 1
    recorded.page.reload()
    # generous: a million points on a loaded 2-core CI machine (correctness, not speed)
    recorded.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=120000)
    assert _data_gets(plotly_app, "chart") == 1  # served from the browser cache
    assert not [line for line in recorded.console if line.startswith(("error", "pageerror"))]


def test_click_sends_point_data_and_update_layout_changes_title(plotly_app, new_page) -> None:
    page = _open(plotly_app, new_page).page
    assert page.locator(".gtitle").text_content() == "Before"
    page.mouse.click(*_point_position(page, 2, 20))
    call = plotly_app.wait_for_call("plotly:click")
    assert call["callback"] == "on_click"
    point = call["data"]["points"][0]
    assert point["x"] == 2
    assert point["y"] == 20
    assert point["curveNumber"] == 0
    assert point["pointIndex"] == 1
    assert point["pointNumber"] == 1
    assert point["customdata"] == "b"
    assert point["traceName"] == "points"
    page.wait_for_function("() => document.querySelector('.gtitle').textContent === 'Clicked 2'")


def test_relayout_event_and_reset_zoom(plotly_app, new_page) -> None:
    page = _open(plotly_app, new_page).page
    start = _point_position(page, 1.2, 11)
    end = _point_position(page, 2.8, 19)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    page.mouse.move(*end, steps=5)
    page.mouse.up()
    call = plotly_app.wait_for_call("plotly:relayout")
    changes = call["data"]["changes"]
    assert 1.1 < changes["xaxis.range[0]"] < 1.3
    assert 2.7 < changes["xaxis.range[1]"] < 2.9
    page.evaluate("window.pywry.emit('app:reset', {})")
    page.wait_for_function(
        "() => { const r = document.getElementById('pywry-plot')._fullLayout.xaxis.range;"
        " return r[0] < 1 && r[1] > 3; }"
    )


def test_update_traces_restyles_in_the_page(plotly_app, new_page) -> None:
    page = _open(plotly_app, new_page).page
    page.evaluate("window.pywry.emit('app:traces', {})")
    page.wait_for_function(
        "() => document.querySelector('.scatterlayer .point').style.fill === 'rgb(255, 0, 0)'"
    )
    assert page.evaluate("document.getElementById('pywry-plot').data[0].marker.size") == 40


def test_theme_switch_changes_page_and_plotly_template(plotly_app, new_page) -> None:
    page = _open(plotly_app, new_page).page
    font = "document.getElementById('pywry-plot')._fullLayout.font.color"
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    light_font = page.evaluate(font)
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.evaluate("window.pywry.emit('app:theme', {theme: 'dark'})")
    page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
    page.wait_for_function(f"() => {font} === '#f2f5fa'")  # plotly_dark's font colour
    assert light_font != "#f2f5fa"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light_bg
    # new page loads get the theme Python chose
    fresh = _open(plotly_app, new_page).page
    assert fresh.evaluate("document.documentElement.dataset.theme") == "dark"
    assert fresh.evaluate(font) == "#f2f5fa"


def test_million_points_are_served_once_from_the_data_url(plotly_app) -> None:
    page = httpx.get(plotly_app.base_url + "/widget/million")
    assert page.status_code == 200
    assert len(page.content) < 20_000
    match = re.search(r'"dataDigest":"(\w+)"', page.text)
    assert match is not None
    url = f"{plotly_app.base_url}/widget/million/data?v={match.group(1)}"
    data = httpx.get(url, timeout=60)
    assert data.status_code == 200
    assert len(data.content) > 10_000_000
    assert data.headers["cache-control"] == "private, max-age=31536000, immutable"
    figure = data.json()["figure"]
    assert figure["data"][0]["type"] == "scattergl"
    assert figure["data"][0]["x"]["dtype"] == "f8"  # base64 typed array, not a list
    again = httpx.get(url, headers={"If-None-Match": data.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    stale = httpx.get(f"{plotly_app.base_url}/widget/million/data?v=old")
    assert stale.headers["cache-control"] == "no-cache"


def test_million_points_render_in_chromium(plotly_app, new_page) -> None:
    recorded = _open(plotly_app, new_page, "/widget/million")
    count = recorded.page.evaluate("document.getElementById('pywry-plot')._fullData[0]._length")
    assert count == 1_000_000
    assert _data_gets(plotly_app, "million") == 1
