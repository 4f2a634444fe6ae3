"""pywry:alert in headless Chromium: toasts of each kind, and confirm's reply event."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import ROOT, start_server

pytestmark = pytest.mark.e2e

APP = ROOT / "tests" / "e2e" / "apps" / "alert_app.py"


@pytest.fixture
def alert_app(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(APP, tmp_path, env=backend_env)
    yield server
    server.stop()


def test_success_toast_shows_title_and_message(alert_app, new_page) -> None:
    recorded = new_page()
    recorded.page.goto(alert_app.base_url + "/")
    recorded.wait_connected()
    recorded.page.get_by_role("button", name="Save").click()
    toast = recorded.page.locator(".pywry-toast--success")
    toast.wait_for(timeout=10000)
    assert toast.inner_text().replace("\n", " ") == "Done Saved 3 rows"


@pytest.mark.parametrize(
    ("choice", "confirmed", "result"), [("OK", True, "deleted"), ("Cancel", False, "kept")]
)
def test_confirm_answer_reaches_python_and_the_page_changes(
    alert_app, new_page, choice: str, confirmed: bool, result: str
) -> None:
    recorded = new_page()
    page = recorded.page
    page.goto(alert_app.base_url + "/")
    recorded.wait_connected()
    page.get_by_role("button", name="Delete").click()
    toast = page.locator(".pywry-toast--confirm")
    toast.wait_for(timeout=10000)
    assert "Delete everything?" in toast.inner_text()
    toast.get_by_role("button", name=choice).click()
    call = alert_app.wait_for_call("app:delete-answer")
    assert call["data"] == {"confirmed": confirmed, "message": "Delete everything?"}
    page.locator("#result", has_text=result).wait_for(timeout=10000)
    assert toast.count() == 0
