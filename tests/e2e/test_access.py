"""Per-widget access in headless Chromium, two browser contexts (two people).

App: ``tests/multiworker/apps/acl_app.py`` (auth on, one worker here). An admin sees
the admin widget and its socket opens; a plain user gets 403 for the page, and a
socket their page opens to it by hand is refused with ``forbidden_widget`` and 4403.
A private widget created in a callback is seen by its creator only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import ServerProcess, start_server

pytestmark = pytest.mark.e2e

APP = Path(__file__).resolve().parents[1] / "multiworker" / "apps" / "acl_app.py"

#: Run in a page: open a socket to ``path`` as the bridge would and report what came back.
PROBE_SOCKET = """
(path) => new Promise((resolve) => {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
  const ws = new WebSocket(url);
  const frames = [];
  ws.onopen = () => ws.send(JSON.stringify({type: 'hello', lastSeq: null}));
  ws.onmessage = (message) => frames.push(JSON.parse(message.data));
  ws.onclose = (event) => resolve({code: event.code, frames});
  setTimeout(() => resolve({code: null, frames}), 10000);
})
"""

RECORD_MADE = (
    "() => { window.__made = []; window.pywry.on('app:made', (d) => window.__made.push(d)); }"
)


@pytest.fixture
def app(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[ServerProcess]:
    server = start_server(APP, tmp_path, env=backend_env)
    yield server
    server.stop()


def _log_in(app: ServerProcess, new_page: Any, user: str, roles: str) -> Any:
    recorded = new_page()
    response = recorded.page.goto(f"{app.base_url}/login?user={user}&roles={roles}")
    assert response is not None and response.status == 200, app.log()
    recorded.wait_connected()  # the lobby, open to every session
    return recorded


def test_admin_sees_the_admin_widget_and_a_plain_user_is_refused(
    app: ServerProcess, new_page: Any
) -> None:
    admin = _log_in(app, new_page, "ann", "viewer,admin")
    plain = _log_in(app, new_page, "bob", "viewer")
    shown = admin.page.goto(app.base_url + "/widget/admin-board")
    assert shown is not None and shown.status == 200
    admin.wait_connected()
    assert admin.page.locator("#board").inner_text() == "Admin board"
    refused = plain.page.goto(app.base_url + "/widget/admin-board")
    assert refused is not None and refused.status == 403
    assert refused.json() == {"error": "forbidden"}
    assert "Admin board" not in plain.page.content()
    plain.page.goto(app.base_url + "/widget/lobby")
    plain.wait_connected()
    probe = plain.page.evaluate(PROBE_SOCKET, "/widget/admin-board/ws")
    assert probe["code"] == 4403, probe
    assert [frame["code"] for frame in probe["frames"]] == ["forbidden_widget"]
    allowed = admin.page.evaluate(PROBE_SOCKET, "/widget/lobby/ws")  # sanity: same probe
    assert allowed["frames"][0]["type"] == "welcome"
    assert admin.off_server(app.base_url) == [] and plain.off_server(app.base_url) == []


def test_a_private_widget_made_in_a_callback_is_its_creators_only(
    app: ServerProcess, new_page: Any
) -> None:
    creator = _log_in(app, new_page, "carol", "viewer")
    other = _log_in(app, new_page, "dave", "viewer")
    for recorded in (creator, other):
        recorded.page.evaluate(RECORD_MADE)
    creator.page.get_by_role("button", name="Make mine").click()
    creator.page.wait_for_function("() => window.__made.length === 1", timeout=15000)
    label = creator.page.evaluate("window.__made[0].label")
    other.page.wait_for_timeout(500)
    assert other.page.evaluate("window.__made.length") == 0  # the answer went to carol only
    mine = creator.page.goto(f"{app.base_url}/widget/{label}")
    assert mine is not None and mine.status == 200
    creator.wait_connected()
    assert creator.page.locator("#mine").inner_text() == "Only yours"
    theirs = other.page.goto(f"{app.base_url}/widget/{label}")
    assert theirs is not None and theirs.status == 403
    assert "Only yours" not in other.page.content()
    other.page.goto(app.base_url + "/widget/lobby")
    other.wait_connected()
    probe = other.page.evaluate(PROBE_SOCKET, f"/widget/{label}/ws")
    assert probe["code"] == 4403 and probe["frames"][0]["code"] == "forbidden_widget", probe
    print(f"\n[acl chromium] private widget {label}: creator 200, other 403 / 4403")
