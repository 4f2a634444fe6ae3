"""XSS payloads in every user string a page shows, in headless Chromium.

The app is ``apps/xss_app.py``: each payload would set ``window.__xss`` if it ran as
markup. The pages are opened with the Content-Security-Policy bypassed
(``bypass_csp``), so these tests prove the escaping itself, not the CSP that backs it
up (``test_csp.py`` proves that). Each check is: nothing ran (``window.__xss`` unset,
no dialog), no element from a payload exists (no ``img``/``iframe``/``onerror``...),
and the payload shows as its literal text where the page puts it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from servers import ServerProcess, start_server

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parent / "apps" / "xss_app.py"

#: What would exist or have run if a payload had been parsed as HTML.
DAMAGE = """() => ({
  xss: window.__xss === undefined ? null : String(window.__xss),
  injected: [...document.querySelectorAll(
      '[onerror], [onload], img, iframe, svg[onload], body script:not([src])')]
    .map(e => e.outerHTML)
})"""
TITLES = "() => [...document.querySelectorAll('.tabulator-col-title')].map(e => e.textContent)"


def _payloads() -> ModuleType:
    spec = importlib.util.spec_from_file_location("xss_payloads", APP.with_name("xss_payloads.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


P = _payloads()
img, script, svg = P.img, P.script, P.svg


@pytest.fixture
def app(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[ServerProcess]:
    server = start_server(APP, tmp_path, env=backend_env)
    yield server
    server.stop()


class Visit:
    """One page opened with CSP bypassed, recording dialogs."""

    def __init__(self, browser: Any, server: ServerProcess, path: str) -> None:
        self.context = browser.new_context(bypass_csp=True)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(server.base_url + path)
        self.page.wait_for_function("() => window.pywry && window.pywry.state === 'open'")

    def assert_harmless(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(300)  # an <img onerror> fires once its request fails
        damage = self.page.evaluate(DAMAGE)
        assert damage == {"xss": None, "injected": []}
        assert self.dialogs == []

    def texts(self, selector: str) -> list[str]:
        return list(self.page.locator(selector).all_text_contents())

    def emit(self, event: str) -> None:
        self.page.evaluate(f"window.pywry.emit({event!r}, {{}})")


@pytest.fixture
def visit(browser: Any, app: ServerProcess) -> Iterator[Any]:
    visits: list[Visit] = []

    def open_(path: str) -> Visit:
        v = Visit(browser, app, path)
        visits.append(v)
        return v

    yield open_
    for v in visits:
        v.context.close()


def _grid_ready(v: Visit) -> None:
    v.page.wait_for_selector("html[data-pywry-grid='ready']", timeout=30000)


def test_grid_names_cells_and_list_editor_show_payloads_as_text(visit) -> None:
    v = visit("/widget/xss-grid")
    _grid_ready(v)
    titles = v.page.evaluate(TITLES)
    assert titles == [svg("index"), img("column"), script("column"), "kind"]
    assert img("cell") in v.texts(".tabulator-cell")
    v.assert_harmless()
    # the categorical column is editable: its list editor lists the categories as text
    v.page.locator(".tabulator-row").first.locator("[tabulator-field='c3']").click()
    v.page.wait_for_selector(".tabulator-edit-list-item")
    assert v.texts(".tabulator-edit-list-item") == P.CATEGORIES
    v.assert_harmless()


def test_grid_update_columns_and_update_data_show_payloads_as_text(visit) -> None:
    v = visit("/widget/xss-grid")
    _grid_ready(v)
    v.emit("app:columns")
    v.page.wait_for_function(f"() => ({TITLES})().includes({img('update-columns')!r})")
    v.assert_harmless()
    v.emit("app:data")
    v.page.wait_for_function(f"() => ({TITLES})().includes({script('update-data')!r})")
    assert v.page.evaluate(TITLES) == [img("update-data"), script("update-data")]
    v.assert_harmless()


def test_multiindex_levels_and_record_keys_show_as_text(visit) -> None:
    v = visit("/widget/xss-multi")
    _grid_ready(v)
    assert v.page.evaluate(TITLES) == [
        img("index-level0"),
        script("index-level1"),
        f"{img('level0')} / {svg('level1')}",
        f"{img('level0')} / q2",
    ]
    v.assert_harmless()
    r = visit("/widget/xss-records")
    _grid_ready(r)
    assert r.page.evaluate(TITLES) == [img("record-key"), script("record-key")]
    r.assert_harmless()


def test_toolbar_texts_and_alerts_show_payloads_as_text(visit) -> None:
    v = visit("/widget/xss-board")
    page = v.page
    assert page.title() == img("page-title")
    labels = v.texts(".pywry-label")
    for text in (img("select-label"), script("radio-label"), img("text-label")):
        assert text in labels
    assert v.texts("#pick option") == [img("option"), "b"]
    assert page.locator("#pick option").first.get_attribute("value") == svg("option-value")
    assert page.locator("#pick").get_attribute("title") == svg("select-tooltip")
    assert page.locator(".pywry-toolbar-top").get_attribute("aria-label") == img("toolbar-label")
    assert img("radio-option") in v.texts(".pywry-radio span")
    assert v.texts(".pywry-tab") == [script("tab")]
    assert page.locator("#greet").inner_text() == img("button")
    assert svg("checkbox") in v.texts(".pywry-check span")
    text_input = page.locator("[data-kind='text']")
    assert text_input.input_value() == svg("text-value")
    assert text_input.get_attribute("placeholder") == img("placeholder")
    assert page.locator("#note .pywry-div-content").inner_text() == img("div-content")
    assert page.locator("#tick .pywry-ticker-label").inner_text() == img("ticker-label")
    assert page.locator("#tick .pywry-ticker-value").inner_text() == script("ticker-value")
    page.locator("[data-filter-for='pick']").fill("img")  # the searchable select filters
    v.assert_harmless()
    # Python relabels, re-options and shows a toast, all with payloads
    page.locator("#greet").click()
    page.wait_for_selector(".pywry-toast")
    assert page.locator(".pywry-toast strong").inner_text() == script("alert-title")
    assert page.locator(".pywry-toast span").inner_text() == img("alert-message")
    page.wait_for_function(
        f"() => document.querySelector('#greet').textContent === {script('set-button-label')!r}"
    )
    assert page.locator("#pick-label").inner_text() == img("set-label")
    assert v.texts("#pick option") == [img("set-option")]
    assert page.locator("#note .pywry-div-content").inner_text() == img("set-div-text")
    assert page.locator("#tick .pywry-ticker-value").inner_text() == img("set-ticker")
    assert page.locator("#tick .pywry-ticker-label").inner_text() == script("set-ticker-label")
    v.assert_harmless()


def test_chart_title_payload_does_not_run(visit) -> None:
    v = visit("/widget/xss-chart")
    v.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=30000)
    assert v.page.locator("#pywry-plot g.trace.bars g.point").count() == 3
    v.assert_harmless()
