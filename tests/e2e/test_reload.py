"""``PYWRY_SERVER__RELOAD=true``: a code change restarts the server and open tabs follow.

The app is a file in the test's directory served by ``pywry serve app.py``; the test
edits it while a page is open. The page's socket comes back to the new process
(another worker id), the page loads itself again and shows the new code, and its
events reach the new process's callbacks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import httpx
from servers import start_server

APP = """
from fastapi.responses import HTMLResponse
from pywry.inline import get_server_app, get_widget_html_async, show

app = get_server_app()


def on_ping(data, event_type, label):
    board.emit("app:pong", {{"version": {version}}})


board = show("<h1 id='v'>version {version}</h1>", title="Reload", callbacks={{"app:ping": on_ping}})


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(board.label))
"""

PONG = """() => new Promise(resolve => {
  window.pywry.on('app:pong', data => resolve(data.version));
  window.pywry.emit('app:ping', {});
})"""


def _write(path: Path, version: int) -> None:
    path.write_text(APP.format(version=version), encoding="utf-8")


def test_a_code_change_restarts_the_server_and_the_open_tab_shows_it(
    tmp_path: Path, new_page: Any
) -> None:
    app = tmp_path / "app.py"
    _write(app, 1)
    server = start_server(
        app,
        tmp_path,
        command=[sys.executable, "-m", "pywry_server", "serve", "app.py"],
        env={"PYWRY_SERVER__RELOAD": "true", "PYWRY_DEPLOY__STATE_BACKEND": "memory"},
    )
    try:
        recorded = new_page()
        page = recorded.page
        page.goto(server.base_url + "/")
        recorded.wait_connected()
        assert page.text_content("#v") == "version 1"
        assert page.evaluate(PONG) == 1
        first_worker = page.evaluate("() => window.pywry.workerId")

        time.sleep(1.1)  # a later modification time than the first version's
        _write(app, 2)
        page.wait_for_function(
            "() => document.getElementById('v') && "
            "document.getElementById('v').textContent === 'version 2'",
            timeout=30000,
        )
        recorded.wait_connected()
        assert page.evaluate("() => window.pywry.workerId") != first_worker
        assert page.evaluate(PONG) == 2
        assert httpx.get(server.base_url + "/readyz", timeout=5).status_code == 200
        assert server.log().count("Started server process") == 2
        errors = [line for line in recorded.console if line.startswith("pageerror")]
        assert errors == []
    finally:
        server.stop()
