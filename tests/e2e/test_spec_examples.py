"""The specification's two programs, run as written and driven in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from servers import ROOT, ServerProcess, start_server

pytestmark = pytest.mark.e2e

EXAMPLES = ROOT / "examples"
CSV = "quarter,value\nQ1,100\nQ2,150\nQ3,130\nQ4,180"


@pytest.fixture
def quickstart(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(EXAMPLES / "quickstart.py", tmp_path, env=backend_env)
    yield server
    server.stop()


@pytest.fixture
def full_example(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(EXAMPLES / "full_example.py", tmp_path, env=backend_env)
    yield server
    server.stop()


def _bar_count(page) -> int:
    page.wait_for_selector("html[data-pywry-plot='ready']", timeout=20000)
    return int(page.locator("#pywry-plot g.trace.bars g.point").count())


def test_quickstart_serves_chart_with_four_bars(quickstart: ServerProcess, new_page) -> None:
    recorded = new_page()
    response = recorded.page.goto(quickstart.base_url + "/")
    assert response is not None and response.status == 200
    assert recorded.page.title() == "Quarterly Revenue"
    assert _bar_count(recorded.page) == 4
    recorded.wait_connected()
    assert recorded.off_server(quickstart.base_url) == []
    assert not [line for line in recorded.console if line.startswith(("error", "pageerror"))]


def test_quickstart_widget_route_and_health(quickstart: ServerProcess) -> None:
    home = httpx.get(quickstart.base_url + "/")
    assert home.status_code == 200
    assert httpx.get(quickstart.base_url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(quickstart.base_url + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    missing = httpx.get(quickstart.base_url + "/widget/no-such-widget")
    assert missing.status_code == 404


def test_full_example_select_runs_python_callback(full_example: ServerProcess, new_page) -> None:
    recorded = new_page()
    recorded.page.goto(full_example.base_url + "/")
    recorded.wait_connected()
    recorded.page.get_by_label("Region").select_option("north")
    call = full_example.wait_for_call("chart:region")
    assert call["callback"] == "on_region"
    assert call["ok"] is True
    data = call["data"]
    assert isinstance(data, dict)
    assert data["value"] == "north"


def test_full_example_export_downloads_csv(full_example: ServerProcess, new_page) -> None:
    recorded = new_page()
    recorded.page.goto(full_example.base_url + "/")
    recorded.wait_connected()
    with recorded.page.expect_download(timeout=15000) as info:
        recorded.page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "data.csv"
    assert Path(download.path()).read_text(encoding="utf-8") == CSV
    assert full_example.wait_for_call("chart:export")["callback"] == "on_export"
    assert _bar_count(recorded.page) == 4
    assert recorded.off_server(full_example.base_url) == []


def test_full_example_export_downloads_for_the_clicker_only(
    full_example: ServerProcess, new_page
) -> None:
    first, second = new_page(), new_page()
    for recorded in (first, second):
        recorded.page.goto(full_example.base_url + "/")
        recorded.wait_connected()
    downloads: list[str] = []
    second.page.on("download", lambda d: downloads.append(d.suggested_filename))
    with first.page.expect_download(timeout=15000) as info:
        first.page.get_by_role("button", name="Export CSV").click()
    assert info.value.suggested_filename == "data.csv"
    # the second viewer clicks too: its own download arrives, and it is its first one
    with second.page.expect_download(timeout=15000):
        second.page.get_by_role("button", name="Export CSV").click()
    assert downloads == ["data.csv"]
