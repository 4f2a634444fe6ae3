"""The README's demo, examples/sales_dashboard.py, as a new user drives it."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import ROOT, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def dashboard(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(ROOT / "examples" / "sales_dashboard.py", tmp_path, env=backend_env)
    yield server
    server.stop()


def test_region_redraws_the_chart_and_export_downloads_its_rows(dashboard, new_page) -> None:
    recorded = new_page()
    page = recorded.page
    page.goto(dashboard.base_url + "/")
    page.wait_for_selector("html[data-pywry-plot='ready']", timeout=20000)
    recorded.wait_connected()
    assert page.locator("#pywry-plot .gtitle").text_content() == "All regions"

    page.get_by_label("Region").select_option("north")
    page.locator("#pywry-plot .gtitle", has_text="North region").wait_for(timeout=15000)
    page.locator(".pywry-toast", has_text="Showing north").wait_for(timeout=15000)

    with page.expect_download(timeout=15000) as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "sales-north.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text == "quarter,value\nQ1,60\nQ2,85\nQ3,70\nQ4,110"
    assert recorded.off_server(dashboard.base_url) == []
    assert [line for line in recorded.console if line.startswith(("error", "pageerror"))] == []
