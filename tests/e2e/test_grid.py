"""The DataFrame grid in headless Chromium: round trips between the page and Python."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import numpy as np
import pytest
from servers import ROOT, ServerProcess, start_server

pytestmark = pytest.mark.e2e

APPS = ROOT / "tests" / "e2e" / "apps"
BIG_ROWS = 100_000


@pytest.fixture
def grid_app(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(APPS / "grid_app.py", tmp_path, env=backend_env)
    yield server
    server.stop()


def _open(server: ServerProcess, new_page, path: str = "/", **context):
    recorded = new_page()
    recorded.page.goto(server.base_url + path)
    recorded.page.wait_for_selector("html[data-pywry-grid='ready']", timeout=30000)
    recorded.wait_connected()
    return recorded


def _cell(page, row_text: str, field: str):
    row = page.locator(".tabulator-row", has_text=row_text)
    return row.locator(f".tabulator-cell[tabulator-field='{field}']")


def _errors(recorded) -> list[str]:
    return [line for line in recorded.console if line.startswith(("error", "pageerror"))]


def test_grid_renders_from_our_server_with_data_fetched_once(grid_app, new_page) -> None:
    recorded = _open(grid_app, new_page)
    page = recorded.page
    assert page.locator(".tabulator-row").count() == 4
    # the HTML in a cell is text, not markup
    assert _cell(page, "apple", "c0").inner_text() == "<b>apple</b>"
    assert page.locator(".tabulator-cell b").count() == 0
    # NaN and NaT are empty cells; datetimes are ISO strings
    assert _cell(page, "banana", "c2").inner_text().strip() == ""
    assert _cell(page, "banana", "c3").inner_text() == "2024-02-03T00:00:00"
    assert page.locator(".pywry-grid-count").inner_text() == "4 rows"
    assert recorded.off_server(grid_app.base_url) == []
    data_requests = [url for url in recorded.requests if "/widget/fruit/data" in url]
    assert len(data_requests) == 1
    html = httpx.get(grid_app.base_url + "/").text
    assert "banana" not in html  # rows are not inlined into the page
    assert _errors(recorded) == []


def test_cell_click_reaches_python_and_update_cell_changes_the_page(grid_app, new_page) -> None:
    page = _open(grid_app, new_page).page
    _cell(page, "apple", "c1").click()
    call = grid_app.wait_for_call("grid:cell-click")
    assert call["callback"] == "on_cell_click"
    data = call["data"]
    assert data["row"] == 0
    assert data["column"] == "qty"
    assert data["value"] == 3
    assert data["rowData"]["name"] == "<b>apple</b>"
    assert data["rowData"]["price"] == 1.25
    assert data["rowData"]["when"] == "2024-01-02T00:00:00"
    page.wait_for_function(
        """() => [...document.querySelectorAll(".tabulator-row")].some(r =>
             r.textContent.includes("apple") &&
             r.querySelector("[tabulator-field='c1']").textContent === "13")"""
    )


def test_row_selection_sends_positions_and_rows(grid_app, new_page) -> None:
    page = _open(grid_app, new_page).page
    _cell(page, "banana", "c4").click()
    call = grid_app.wait_for_call("grid:row-selected")
    assert call["data"]["rows"] == [1]
    assert call["data"]["count"] == 1
    assert call["data"]["truncated"] is False
    assert call["data"]["data"][0]["name"] == "banana"
    assert call["data"]["data"][0]["price"] is None
    assert page.locator(".tabulator-row.tabulator-selected").count() == 1


def test_cell_edit_reaches_python_and_is_kept(grid_app, new_page) -> None:
    recorded = _open(grid_app, new_page)
    page = recorded.page
    _cell(page, "cherry", "c0").click()
    editor = page.locator(".tabulator-cell.tabulator-editing input")
    editor.fill("cherries")
    editor.press("Enter")
    call = grid_app.wait_for_call("grid:cell-edit")
    assert call["callback"] == "on_cell_edit"
    assert {k: call["data"][k] for k in ("row", "column", "value", "oldValue")} == {
        "row": 2,
        "column": "name",
        "value": "cherries",
        "oldValue": "cherry",
    }
    # the callback's update_cell reaches the page ...
    expect_price = "() => document.querySelectorAll('.tabulator-row')[2]"
    page.wait_for_function(
        expect_price + ".querySelector(\"[tabulator-field='c2']\").textContent === '99.5'"
    )
    # ... and the edit and the update are what a new page load gets
    fresh = _open(grid_app, new_page).page
    assert _cell(fresh, "cherries", "c2").inner_text() == "99.5"


def test_filter_changes_rows_and_reaches_python(grid_app, new_page) -> None:
    page = _open(grid_app, new_page).page
    page.locator(".tabulator-col[tabulator-field='c1'] input").press_sequentially("> 2")
    call = grid_app.wait_for_call("grid:filter-changed")
    assert call["data"] == {"filters": [{"column": "qty", "value": "> 2"}], "rowCount": 2}
    page.wait_for_function("() => document.querySelectorAll('.tabulator-row').length === 2")
    assert page.locator(".pywry-grid-count").inner_text() == "2 of 4 rows"


def test_sort_by_header_orders_rows_and_reaches_python(grid_app, new_page) -> None:
    page = _open(grid_app, new_page).page
    page.locator(".tabulator-col[tabulator-field='c2'] .tabulator-col-title").click()
    call = grid_app.wait_for_call("grid:sort-changed")
    assert call["data"] == {"sorters": [{"column": "price", "dir": "asc"}]}
    names = page.locator(".tabulator-row [tabulator-field='c0']").all_inner_texts()
    assert names[:3] == ["date", "<b>apple</b>", "cherry"]


def test_update_data_and_update_columns_from_python(grid_app, new_page) -> None:
    recorded = _open(grid_app, new_page)
    page = recorded.page
    page.evaluate("window.pywry.emit('app:columns', {})")
    titles = "[...document.querySelectorAll('.tabulator-col-title')].map(t => t.textContent)"
    page.wait_for_function(f"() => {titles}.includes('Price ($)')")
    assert "Price ($)" in page.evaluate(titles)
    assert not page.locator(".tabulator-col[tabulator-field='c4']").is_visible()
    assert not page.locator(".tabulator-row [tabulator-field='c4']").first.is_visible()
    page.evaluate("window.pywry.emit('app:replace', {})")
    page.wait_for_function("() => document.querySelectorAll('.tabulator-row').length === 2")
    assert page.locator(".pywry-grid-count").inner_text() == "2 rows"
    assert _errors(recorded) == []


def test_csv_export_downloads_the_visible_rows(grid_app, new_page) -> None:
    page = _open(grid_app, new_page).page
    with page.expect_download(timeout=15000) as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "Fruit.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"name","qty","price","when","kind"'
    assert len(lines) == 5
    assert '"banana"' in lines[2]


def test_theme_follows_system_and_python(grid_app, browser) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(grid_app.base_url + "/")
        page.wait_for_selector("html[data-pywry-grid='ready']", timeout=30000)
        page.wait_for_function("() => window.pywry && window.pywry.state === 'open'")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        background = "getComputedStyle(document.querySelector('.tabulator-row')).backgroundColor"
        dark = page.evaluate(background)
        page.evaluate("window.pywry.emit('app:theme', {theme: 'light'})")
        page.wait_for_function("() => document.documentElement.dataset.theme === 'light'")
        light = page.evaluate(background)
        assert dark != light
        assert light == "rgb(255, 255, 255)"
    finally:
        context.close()


def test_100k_rows_scroll_to_the_bottom_and_sort(grid_app, new_page) -> None:
    recorded = _open(grid_app, new_page, "/widget/big")
    page = recorded.page
    assert page.locator(".pywry-grid-count").inner_text() == f"{BIG_ROWS} rows"
    # virtual scrolling: only a window of rows is in the DOM
    assert page.locator(".tabulator-row").count() < 200
    page.evaluate(
        "() => { const h = document.querySelector('.tabulator-tableholder');"
        " h.scrollTop = h.scrollHeight; }"
    )
    rows = "[...document.querySelectorAll('.tabulator-row')]"
    page.wait_for_function(f"() => {rows}.some(r => r.textContent.includes('row 99999'))")
    values = (np.arange(BIG_ROWS) * 7919) % 100_003
    title = page.locator(".tabulator-col[tabulator-field='c1'] .tabulator-col-title")
    title.click()
    sort = "document.querySelector('.tabulator-col[tabulator-field=\"c1\"]').ariaSort"
    page.wait_for_function(f"() => {sort} === 'ascending'")
    title.click()
    page.wait_for_function(f"() => {sort} === 'descending'")
    page.evaluate("() => { document.querySelector('.tabulator-tableholder').scrollTop = 0; }")
    top = int(values.max())
    first_value = "document.querySelector('.tabulator-row [tabulator-field=\"c1\"]').textContent"
    page.wait_for_function(f"() => {first_value} === '{top}'")
    first_id = page.locator(".tabulator-row [tabulator-field='c0']").first.inner_text()
    assert int(first_id) == int(np.argmax(values))
    assert re.fullmatch(r"\d+", first_id)
    assert _errors(recorded) == []


def test_a_forged_edit_of_a_read_only_column_is_refused(grid_app, new_page) -> None:
    page = _open(grid_app, new_page).page
    forged = "<img src=x onerror=alert(1)>"
    page.evaluate(  # what a hostile script in the page could send: qty is not editable
        "(v) => window.pywry.emit('grid:cell-edit',"
        " {row: 1, column: 'qty', value: v, oldValue: 1, rowData: {}})",
        forged,
    )
    _cell(page, "cherry", "c0").click()  # then a real edit of the editable column
    editor = page.locator(".tabulator-cell.tabulator-editing input")
    editor.fill("cherries")
    editor.press("Enter")
    grid_app.wait_for_call("grid:cell-edit")
    edits = [c for c in grid_app.calls() if c["event"] == "grid:cell-edit"]
    assert [c["data"]["column"] for c in edits] == ["name"]  # no callback for the forgery
    assert "Refused a grid:cell-edit of row 1, column 'qty'" in grid_app.log()
    fresh = _open(grid_app, new_page).page
    assert _cell(fresh, "banana", "c1").inner_text() == "1"
    assert _cell(fresh, "cherries", "c0").inner_text() == "cherries"
