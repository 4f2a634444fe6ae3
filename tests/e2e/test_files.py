"""Downloads by signed URL and a cancellable long callback, in headless Chromium."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from servers import ROOT, start_server

pytestmark = pytest.mark.e2e

APP = ROOT / "tests" / "e2e" / "apps" / "files_app.py"
SIZE = 3 * 1000 * 1000 + 7


@pytest.fixture
def files_app(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(APP, tmp_path, env=backend_env)
    yield server
    server.stop()


def test_download_by_url_in_the_browser(files_app, new_page) -> None:
    recorded = new_page()
    page = recorded.page
    page.goto(files_app.base_url + "/")
    recorded.wait_connected()
    with page.expect_download(timeout=20000) as info:
        page.get_by_role("button", name="Download report").click()
    download = info.value
    assert download.suggested_filename == "report-été.bin"
    content = Path(download.path()).read_bytes()
    assert len(content) == SIZE
    assert content == bytes(i % 251 for i in range(SIZE))
    assert download.url.startswith(files_app.base_url + "/pywry/files/")  # over HTTP
    assert recorded.off_server(files_app.base_url) == []
    assert not [line for line in recorded.console if line.startswith("pageerror")]


def test_long_callback_shows_progress_and_is_cancelled_from_the_page(files_app, new_page) -> None:
    recorded = new_page()
    page = recorded.page
    page.goto(files_app.base_url + "/")
    recorded.wait_connected()
    started = time.monotonic()
    page.get_by_role("button", name="Long work").click()
    bar = page.locator(".pywry-progress")
    bar.wait_for(timeout=10000)
    page.wait_for_function(
        "() => { const m = document.querySelector('.pywry-progress__bar');"
        " return m && m.value >= 0.1; }",
        timeout=10000,
    )
    assert "Crunching" in bar.inner_text()
    # Another event of the same page is answered while the work goes on.
    page.evaluate("() => window.pywry.emit('app:ping', {n: 7})")
    page.locator("#pong", has_text="pong 7").wait_for(timeout=5000)
    assert page.locator(".pywry-progress").count() == 1  # still running
    page.get_by_role("button", name="Cancel").click()
    page.locator("#result", has_text="cancelled at step").wait_for(timeout=10000)
    bar.wait_for(state="detached", timeout=10000)
    elapsed = time.monotonic() - started
    step = int(page.locator("#result").inner_text().rsplit(" ", 1)[1])
    assert 0 < step < 50, step
    assert elapsed < 5.0, f"cancelled only after {elapsed:.1f}s"
    call = files_app.wait_for_call("app:long")
    assert call["event"] == "app:long"
    assert not [line for line in recorded.console if line.startswith("pageerror")]
