"""A FileInput in headless Chromium: several files, progress, one refused over the limit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from servers import ROOT, start_server

pytestmark = pytest.mark.e2e

APP = ROOT / "tests" / "e2e" / "apps" / "upload_app.py"


@pytest.fixture
def upload_app(tmp_path: Path, backend_env: dict[str, str]):
    server = start_server(APP, tmp_path, env=backend_env)
    yield server
    server.stop()


def test_upload_of_several_files_with_one_over_the_limit(upload_app, new_page) -> None:
    recorded = new_page()
    page = recorded.page
    page.goto(upload_app.base_url + "/")
    recorded.wait_connected()
    small = b"a,b\n1,2\n"
    middle = bytes(i % 253 for i in range(1024 * 1024 + 4321))  # two pieces
    big = bytes(3 * 1024 * 1024)  # over max_bytes (2 MiB)
    page.evaluate(
        """() => { window.seen = [];
        new MutationObserver(() => document.querySelectorAll('.pywry-upload__text')
          .forEach(t => window.seen.push(t.textContent)))
          .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )
    page.get_by_label("Data files").set_input_files(
        [
            {"name": "small.csv", "mimeType": "text/csv", "buffer": small},
            {"name": "middle.bin", "mimeType": "application/octet-stream", "buffer": middle},
            {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": big},
        ]
    )
    status = page.locator(".pywry-file-status")
    page.locator(".pywry-file-status[data-state='done']").wait_for(timeout=20000)
    rows = status.locator(".pywry-upload")
    assert rows.count() == 3
    refused = rows.filter(has_text="big.bin")
    assert "over the limit of 2,097,152 bytes" in refused.inner_text()
    assert refused.get_attribute("data-state") == "error"
    for name in ("small.csv", "middle.bin"):
        row = rows.filter(has_text=name)
        assert row.get_attribute("data-state") == "done"
        assert "Uploaded" in row.inner_text()
        assert row.locator("progress").evaluate("m => m.value") == 1
    seen = page.evaluate("() => window.seen")
    assert "99%" in seen and "100%" in seen, sorted(set(seen))  # middle.bin after 1 of 2 pieces
    result = page.locator("#result", has_text="small.csv")
    result.wait_for(timeout=10000)
    lines = result.inner_text().splitlines()
    assert lines == [
        f"small.csv {len(small)} {hashlib.sha256(small).hexdigest()}",
        f"middle.bin {len(middle)} {hashlib.sha256(middle).hexdigest()}",
    ]
    assert upload_app.wait_for_call("app:files")["event"] == "app:files"
    assert recorded.off_server(upload_app.base_url) == []
    assert not [line for line in recorded.console if line.startswith("pageerror")]


def test_a_refused_type_shows_the_servers_message(upload_app, new_page) -> None:
    recorded = new_page()
    page = recorded.page
    page.goto(upload_app.base_url + "/")
    recorded.wait_connected()
    page.get_by_label("Data files").set_input_files(
        [{"name": "run.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ"}]
    )
    page.locator(".pywry-file-status[data-state='error']").wait_for(timeout=10000)
    text = page.locator(".pywry-upload").inner_text()
    assert "run.exe (application/x-msdownload) is not an accepted type" in text
    assert page.locator("#result").inner_text() == "nothing yet"
    assert not [line for line in recorded.console if line.startswith("pageerror")]
