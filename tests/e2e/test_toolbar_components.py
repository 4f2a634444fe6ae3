"""Every toolbar component, round trip in headless Chromium.

Each test: a user action in the page -> the app's Python callback runs with the
documented payload (read from the call log) -> the callback's
``set_toolbar_value`` changes the page. The app is ``apps/toolbar_app.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import FloatRect, Page, expect
from servers import ServerProcess, start_server

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parent / "apps" / "toolbar_app.py"
SECRET = "sk-initial-0123456789"


@pytest.fixture
def app(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[ServerProcess]:
    server = start_server(APP, tmp_path, env=backend_env)
    yield server
    server.stop()


@pytest.fixture
def page(app: ServerProcess, new_page: Any) -> Page:
    recorded = new_page()
    recorded.page.goto(app.base_url + "/")
    recorded.wait_connected()
    result: Page = recorded.page
    return result


def payload(app: ServerProcess, event: str, callback: str) -> dict[str, Any]:
    call = app.wait_for_call(event)
    assert call["callback"] == callback
    assert call["ok"] is True, app.log()
    data = call["data"]
    assert isinstance(data, dict)
    return data


def test_button_sends_data_and_python_relabels_it(app: ServerProcess, page: Page) -> None:
    button = page.locator("#export")
    expect(button).to_have_text("Export <b>CSV</b>")  # escaped, shown as text
    button.click()
    assert payload(app, "app:export", "on_export") == {"format": "csv", "componentId": "export"}
    expect(button).to_have_text("Exported")
    expect(button).to_be_disabled()


def test_select_by_label_and_python_replaces_options(app: ServerProcess, page: Page) -> None:
    page.get_by_label("Region").select_option("north")
    assert payload(app, "app:region", "on_region") == {"value": "north", "componentId": "region"}
    expect(page.locator("#region")).to_have_value("west")
    expect(page.locator("#region option")).to_have_count(4)
    expect(page.locator("#region option[value=west]")).to_have_text("West <i>new</i>")


def test_searchable_select_filters_options(page: Page) -> None:
    page.get_by_label("Search options").fill("nor")
    expect(page.locator("#region option[value=north]")).not_to_have_attribute("hidden", "")
    expect(page.locator("#region option[value=south]")).to_have_attribute("hidden", "")


def test_multiselect_sends_values(app: ServerProcess, page: Page) -> None:
    page.get_by_label("Metrics").select_option(["sales", "costs"])
    data = payload(app, "app:metrics", "on_metrics")
    assert data == {"values": ["sales", "costs"], "componentId": "metrics"}
    expect(page.locator("#metrics")).to_have_values(["margin"])


def test_search_input_enter_sends_at_once(app: ServerProcess, page: Page) -> None:
    box = page.get_by_label("Find")
    box.fill("abc")
    box.press("Enter")
    assert payload(app, "app:find", "on_find") == {"value": "abc", "componentId": "find"}
    expect(box).to_have_value("found: abc")


def test_tab_group_click_sends_value(app: ServerProcess, page: Page) -> None:
    page.get_by_role("tab", name="Chart").click()
    assert payload(app, "app:view", "on_view") == {"value": "chart", "componentId": "view"}
    expect(page.get_by_role("tab", name="Data")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Chart")).to_have_attribute("aria-selected", "false")


def test_text_input_is_debounced_into_one_event(app: ServerProcess, page: Page) -> None:
    box = page.get_by_label("Title")
    box.press_sequentially("hello")
    assert payload(app, "app:title", "on_title") == {"value": "hello", "componentId": "title"}
    expect(box).to_have_value("HELLO")
    assert [c["data"] for c in app.calls() if c["event"] == "app:title"] == [
        {"value": "hello", "componentId": "title"}
    ]


def test_text_area_sends_lines(app: ServerProcess, page: Page) -> None:
    area = page.get_by_label("Notes")
    area.fill("one\ntwo")
    area.blur()
    assert payload(app, "app:notes", "on_notes") == {"value": "one\ntwo", "componentId": "notes"}
    expect(page.locator("#notes-label")).to_have_text("Notes (2 lines)")


def test_number_input_sends_number(app: ServerProcess, page: Page) -> None:
    box = page.get_by_label("Quantity")
    box.fill("7.5")
    box.press("Enter")
    box.blur()
    assert payload(app, "app:qty", "on_qty") == {"value": 7.5, "componentId": "qty"}
    expect(box).to_have_value("8.5")


def test_date_input_sends_iso_date(app: ServerProcess, page: Page) -> None:
    page.get_by_label("Day").fill("2024-03-15")
    assert payload(app, "app:day", "on_day") == {"value": "2024-03-15", "componentId": "day"}
    expect(page.get_by_label("Day")).to_have_value("2024-03-16")


def test_slider_sends_value_and_python_moves_it(app: ServerProcess, page: Page) -> None:
    slider = page.get_by_label("Zoom")
    slider.focus()
    slider.press("ArrowRight")
    assert payload(app, "app:zoom", "on_zoom") == {"value": 55, "componentId": "zoom"}
    expect(slider).to_have_value("65")
    expect(page.locator("#zoom + output")).to_have_text("65")


def test_range_input_sends_start_and_end(app: ServerProcess, page: Page) -> None:
    start = page.get_by_label("Span start")
    start.focus()
    start.press("ArrowRight")
    data = payload(app, "app:span", "on_span")
    assert data == {"start": 21, "end": 80, "componentId": "span"}
    expect(start).to_have_value("10")
    expect(page.get_by_label("Span end")).to_have_value("90")
    expect(page.locator("#span output")).to_have_text("10 to 90")


def test_toggle_sends_bool(app: ServerProcess, page: Page) -> None:
    switch = page.get_by_role("switch", name="Live")
    switch.check(force=True)
    assert payload(app, "app:live", "on_live") == {"value": True, "componentId": "live"}
    expect(page.get_by_role("switch", name="Live: on")).to_be_checked()


def test_checkbox_sends_bool_and_python_sets_it_back(app: ServerProcess, page: Page) -> None:
    box = page.get_by_role("checkbox", name="Show grid")
    box.click()  # not uncheck(): Python re-checks it at once
    assert payload(app, "app:grid", "on_grid") == {"value": False, "componentId": "grid"}
    expect(page.get_by_role("checkbox", name="Grid forced on")).to_be_checked()


def test_radio_group_sends_value_and_python_replaces_options(
    app: ServerProcess, page: Page
) -> None:
    page.get_by_role("radio", name="Bar").click()
    assert payload(app, "app:shape", "on_shape") == {"value": "bar", "componentId": "shape"}
    expect(page.get_by_role("radio", name="Pie")).to_be_checked()
    expect(page.locator("#shape input[type=radio]")).to_have_count(2)


def test_div_child_event_and_python_sets_div_text(app: ServerProcess, page: Page) -> None:
    status = page.locator("#status .pywry-div-content")
    expect(status).to_have_text("Status: idle")
    page.locator("#status").get_by_role("button", name="Ping").click()
    assert payload(app, "app:ping", "on_ping") == {"componentId": "ping"}
    expect(status).to_have_text("Status: pong")


def test_marquee_ticker_sends_item_and_python_updates_it(app: ServerProcess, page: Page) -> None:
    page.locator("#t-aapl").press("Enter")
    data = payload(app, "app:ticker", "on_ticker")
    assert data == {"ticker": "AAPL", "value": "189.00", "componentId": "tickers"}
    copies = page.locator("[data-ticker=t-aapl] .pywry-ticker-value")
    expect(copies).to_have_text(["190.50", "190.50"])
    expect(page.locator("#t-aapl")).to_have_class("pywry-ticker pywry-tone-up")


def test_secret_is_not_in_the_page_and_reveal_asks_python(app: ServerProcess, page: Page) -> None:
    assert SECRET not in page.content()
    assert SECRET not in httpx.get(app.base_url + "/").text
    box = page.get_by_label("API key", exact=True)
    expect(box).to_have_value("")
    page.get_by_role("button", name="Show API key").click()
    expect(box).to_have_value(SECRET)
    page.get_by_role("button", name="Show API key").click()  # now "Hide"
    expect(box).to_have_value("")
    expect(box).to_have_attribute("type", "password")


def test_secret_submit_reaches_python_and_copy_uses_the_stored_value(
    app: ServerProcess, page: Page
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    box = page.get_by_label("API key", exact=True)
    box.fill("sk-typed")
    box.press("Enter")
    assert payload(app, "app:apikey", "on_apikey") == {"value": "sk-typed", "componentId": "apikey"}
    expect(box).to_have_value("")
    # on_apikey stored "SK-TYPED" through set_toolbar_value inside its callback: this
    # viewer's value, held by Python (never the page); the app's own key is untouched.
    assert httpx.get(app.base_url + "/secret-check").json() == {"value": SECRET}
    copy = page.get_by_role("button", name="Copy API key")
    copy.click()
    expect(copy).to_have_attribute("data-copied", "true")
    assert page.evaluate("navigator.clipboard.readText()") == "SK-TYPED"
    assert "SK-TYPED" not in page.content()


def test_secret_typed_by_one_viewer_is_not_revealed_to_another(
    app: ServerProcess, page: Page, new_page: Any
) -> None:
    box = page.get_by_label("API key", exact=True)
    box.fill("sk-alice-only")
    box.press("Enter")
    assert payload(app, "app:apikey", "on_apikey")["value"] == "sk-alice-only"
    other = new_page()
    other.page.goto(app.base_url + "/")
    other.wait_connected()
    other_box = other.page.get_by_label("API key", exact=True)
    other.page.get_by_role("button", name="Show API key").click()
    expect(other_box).to_have_value(SECRET)  # the value the input was built with
    page.get_by_role("button", name="Show API key").click()
    expect(box).to_have_value("SK-ALICE-ONLY")  # the first viewer still has its own


def test_request_toolbar_state_from_a_sync_callback(app: ServerProcess, page: Page) -> None:
    page.get_by_label("Region").select_option("south")
    expect(page.locator("#region")).to_have_value("west")
    page.get_by_role("button", name="Snapshot").click()
    assert payload(app, "app:snapshot", "on_snapshot") == {"componentId": "snap"}
    snapshot = page.locator("#snapshot .pywry-div-content")
    expect(snapshot).not_to_have_text("no snapshot yet")
    shown = json.loads(snapshot.inner_text())
    assert shown == {
        "live": False,
        "metrics": ["sales"],
        "region": "west",
        "span": {"end": 80, "start": 20},
        "zoom": 50,
    }
    expect(page.get_by_label("Title")).to_have_value("14 values")
    assert SECRET not in page.content()


def test_toolbar_positions_are_placed_around_the_content(page: Page) -> None:
    content = page.locator("#pywry-content").bounding_box()
    assert content is not None

    def box(position: str) -> FloatRect:
        found = page.locator(f".pywry-toolbar[data-position={position}]").bounding_box()
        assert found is not None, position
        return found

    assert box("header")["y"] < box("top")["y"] < content["y"]
    assert box("bottom")["y"] < box("footer")["y"]
    assert box("bottom")["y"] >= content["y"] + content["height"] - 1
    assert box("left")["x"] + box("left")["width"] <= content["x"] + 1
    assert box("right")["x"] >= content["x"] + content["width"] - 1
    inside = box("inside")
    assert (
        content["x"] <= inside["x"]
        and inside["x"] + inside["width"] <= content["x"] + content["width"]
    )


def test_collapsible_toolbar_folds_and_unfolds(page: Page) -> None:
    toggle = page.get_by_role("button", name="Toggle Inputs")
    title = page.get_by_label("Title")
    expect(title).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(title).to_be_hidden()
    toggle.click()
    expect(title).to_be_visible()


def test_resizable_toolbar_drags_wider(page: Page) -> None:
    bar = page.locator(".pywry-toolbar[data-position=left]")
    before = bar.bounding_box()
    handle = bar.locator(".pywry-resize-handle")
    grip = handle.bounding_box()
    assert before is not None and grip is not None
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y, steps=4)
    page.mouse.up()
    after = bar.bounding_box()
    assert after is not None
    assert after["width"] == pytest.approx(before["width"] + 60, abs=2)
