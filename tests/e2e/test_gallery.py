"""The gallery (``examples/gallery.py``) in headless Chromium.

One page shows every toolbar component, the chart and the grid; it fetches nothing
from anywhere but our server; its screenshot is ``docs/gallery.png``; and its page
weight (first load, then a reload on a warm cache) is written to
``bench/results/page_weight.md`` with ``bench/bench_page_weight.py``'s measurement.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from servers import ServerProcess, start_server

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from bench_page_weight import (  # noqa: E402
    VIEWPORT,
    NetworkLog,
    report,
    wait_ready,
    write_report,
)

pytestmark = pytest.mark.e2e

GALLERY = ROOT / "examples" / "gallery.py"
#: Set PYWRY_WRITE_ARTIFACTS=1 to refresh the committed screenshot and page-weight
#: report; otherwise they are written under the test's tmp_path.
WRITE_ARTIFACTS = os.environ.get("PYWRY_WRITE_ARTIFACTS") == "1"

#: Every component of the board, by component id, with its ``data-kind``.
COMPONENTS = {
    "tickers": "marquee",
    "t-north": "ticker",
    "t-south": "ticker",
    "t-east": "ticker",
    "t-west": "ticker",
    "region": "select",
    "metrics": "multiselect",
    "kind": "tabs",
    "search": "search",
    "export": "button",
    "hello": "button",
    "title": "text",
    "notes": "textarea",
    "target": "number",
    "asof": "date",
    "opacity": "slider",
    "months": "range",
    "dark": "toggle",
    "legend": "checkbox",
    "palette": "radio",
    "apikey": "secret",
    "status": "div",
    "reset": "button",
    "selection": "div",
    "snapshot": "div",
    "snap": "button",
}
POSITIONS = ("header", "top", "left", "right", "bottom", "footer", "inside")


@pytest.fixture
def gallery(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(GALLERY, tmp_path)
    yield server
    server.stop()


def _open(gallery: ServerProcess, new_page: Any) -> Any:
    recorded = new_page()
    recorded.page.set_viewport_size(VIEWPORT)
    return recorded


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_one_page_shows_everything_from_our_server_and_caches_it(
    gallery: ServerProcess, new_page: Any, browser: Any, tmp_path: Path
) -> None:
    recorded = _open(gallery, new_page)
    page = recorded.page
    log = NetworkLog(page)

    log.start()
    page.goto(gallery.base_url + "/")
    wait_ready(page)
    first = log.take("first load (cold cache)")

    for position in POSITIONS:
        expect(page.locator(f".pywry-toolbar[data-position={position}]")).to_have_count(1)
    for component_id, kind in COMPONENTS.items():
        element = page.locator(f"#{component_id}")
        expect(element).to_have_count(1)
        expect(element).to_have_attribute("data-kind", kind)
    chart = page.locator("[data-pywry-label='gallery-chart']")
    grid = page.locator("[data-pywry-label='gallery-grid']")
    expect(chart.locator(".gtitle")).to_have_text("Monthly sales, all regions")
    expect(grid.locator(".pywry-grid-count")).to_have_text("48 rows")
    assert recorded.off_server(gallery.base_url) == []
    assert [line for line in recorded.console if line.startswith(("error", "pageerror"))] == []

    screenshot = ROOT / "docs" / "gallery.png" if WRITE_ARTIFACTS else tmp_path / "gallery.png"
    page.screenshot(path=str(screenshot), full_page=True, animations="disabled")
    width, height = _png_size(screenshot)
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"]  # the whole page
    assert page.locator("iframe").count() == 0
    assert len(recorded.sockets()) == 1

    log.start()
    page.reload()
    wait_ready(page)
    second = log.take("second load (reload, warm cache)")
    assert recorded.off_server(gallery.base_url) == []

    text = report(
        first, second, browser_version=browser.version, source="`tests/e2e/test_gallery.py`"
    )
    write_report(text, *([] if WRITE_ARTIFACTS else [tmp_path / "page_weight.md"]))
    # The caching promise: hashed assets and versioned data are never fetched again.
    hashed = [t for t in second.transfers if t.hashed]
    assert len(hashed) >= 10
    assert [t.path for t in hashed if not (t.cached or t.status == 304)] == []
    assert any("plotly.min" in t.path for t in hashed)
    assert second.bytes < first.bytes


def test_controls_drive_the_chart_the_grid_and_the_page(
    gallery: ServerProcess, new_page: Any
) -> None:
    recorded = _open(gallery, new_page)
    page = recorded.page
    page.goto(gallery.base_url + "/")
    wait_ready(page)
    chart = page.locator("[data-pywry-label='gallery-chart']")
    grid = page.locator("[data-pywry-label='gallery-grid']")
    status = page.locator("#status")

    # Select (board) -> Python -> the chart, another widget, is redrawn.
    page.get_by_label("Region", exact=True).select_option("north")
    expect(chart.locator(".gtitle")).to_have_text("Monthly sales, north")
    expect(status).to_contain_text("Region: north")

    # TabGroup -> the chart becomes a line chart.
    page.get_by_role("tab", name="Line").click()
    expect(chart.locator(".scatterlayer .trace")).to_have_count(2)
    expect(status).to_contain_text("Chart type: line")

    # A grid row selection (grid widget) -> Python -> the board's footer.
    row = grid.locator(".tabulator-row", has_text="Mar").first
    row.locator(".tabulator-cell").first.click()
    expect(page.locator("#selection")).to_contain_text("Selected 1 rows (north Mar)")

    # SearchInput -> Python replaces the grid's rows.
    search = page.get_by_label("Filter rows")
    search.fill("west")
    search.press("Enter")
    expect(grid.locator(".pywry-grid-count")).to_have_text("12 rows")

    # Button -> widget.alert -> a toast on the board.
    page.get_by_role("button", name="Say hello").click()
    expect(page.locator(".pywry-toast")).to_contain_text("Hello from Python!")

    # Toggle -> every widget switches to the dark theme.
    page.get_by_role("switch", name="Dark theme").check(force=True)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert page.locator("iframe").count() == 0  # one page: the theme is the page's

    # Snapshot (inside) -> request_toolbar_state() -> the footer shows what was read.
    page.get_by_role("button", name="Snapshot").click()
    expect(page.locator("#snapshot")).to_contain_text('"region": "north"')
    assert recorded.off_server(gallery.base_url) == []
