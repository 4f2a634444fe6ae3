"""Composed pages in headless Chromium: several widgets on one page, over one socket.

The app (``apps/pages_app.py``) serves a grid, a chart and an HTML widget with
``get_page_html_async`` at ``/``, and the chart and the notes in its own Jinja2 template
at ``/template``. Two servers share one Redis, so two people's pages sit on different
workers; each person is a browser context of their own.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pywry_state_redis.testing import redis_server_url
from servers import ROOT, ServerProcess, start_server
from websockets.sync.client import connect

pytestmark = pytest.mark.e2e

APP = ROOT / "tests" / "e2e" / "apps" / "pages_app.py"
CHART_TITLE = (
    "() => document.querySelector('[data-pywry-label=\"sales-chart\"] .gtitle')?.textContent"
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ...]]:
    """Two single-worker servers of the app on one Redis namespace."""
    env = {
        "PYWRY_DEPLOY__STATE_BACKEND": "redis",
        "PYWRY_DEPLOY__REDIS_URL": redis_server_url(),
        "PYWRY_DEPLOY__REDIS_PREFIX": f"pywry-pages-{uuid.uuid4().hex[:8]}",
        "PYWRY_SERVER__WORKERS": "1",
    }
    started = [start_server(APP, tmp_path_factory.mktemp(name), env=env) for name in "ab"]
    yield tuple(started)
    for server in started:
        server.stop()


class Viewer:
    """One person: a browser context with one page, and the sockets it opened."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.sockets: list[str] = []
        self.errors: list[str] = []
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
        )

    def open(self, url: str, *ready: str) -> None:
        self.page.goto(url)
        self.page.wait_for_function(
            "() => window.pywry && window.pywry.state === 'open'", timeout=20000
        )
        for label in ready:
            self.page.wait_for_selector(
                f"[data-pywry-label='{label}'][data-pywry-plot='ready'],"
                f"[data-pywry-label='{label}'][data-pywry-grid='ready']",
                timeout=30000,
            )

    def chart_title(self) -> str:
        return str(self.page.evaluate(CHART_TITLE))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser: Any) -> Iterator[Any]:
    made: list[Viewer] = []

    def make() -> Viewer:
        made.append(Viewer(browser))
        return made[-1]

    yield make
    for viewer in made:
        viewer.close()


def test_one_page_shows_a_grid_a_chart_and_html_over_one_socket(servers, people) -> None:
    a, _ = servers
    alice = people()
    alice.open(a.base_url + "/", "sales-grid", "sales-chart")
    page = alice.page
    labels = page.eval_on_selector_all(
        ".pywry-widget", "els => els.map(e => e.getAttribute('data-pywry-label'))"
    )
    assert labels == ["sales-grid", "sales-chart", "notes"]
    assert page.locator("iframe").count() == 0
    assert page.locator("[data-pywry-label='sales-grid'] .tabulator-row").count() == 4
    assert page.locator("[data-pywry-label='notes'] .notes-text").inner_text() == (
        "Notes for the team."
    )
    assert alice.chart_title() == "All regions"
    assert len(alice.sockets) == 1
    assert "/pywry/ws?" in alice.sockets[0]
    assert "widgets=sales-grid%2Csales-chart%2Cnotes" in alice.sockets[0]
    # the notes' button runs its callback, which alerts and changes the chart
    page.click("[data-pywry-label='notes'] #ping")
    page.wait_for_selector(".pywry-toast--success", timeout=10000)
    page.wait_for_function(f"() => ({CHART_TITLE})() === 'Pinged'", timeout=10000)
    assert len(alice.sockets) == 1
    assert alice.errors == []
    print(f"\n[composed page] widgets={len(labels)} sockets={len(alice.sockets)} iframes=0")


def test_a_select_on_the_grid_redraws_the_chart_for_that_viewer_only(servers, people) -> None:
    a, b = servers
    alice, bob = people(), people()
    alice.open(a.base_url + "/", "sales-grid", "sales-chart")
    bob.open(b.base_url + "/", "sales-grid", "sales-chart")
    assert alice.page.evaluate("window.pywry.workerId") != bob.page.evaluate(
        "window.pywry.workerId"
    )
    alice.page.select_option("[data-pywry-label='sales-grid'] #region", "North")
    alice.page.wait_for_function(f"() => ({CHART_TITLE})() === 'North region'", timeout=10000)
    bob.page.select_option("[data-pywry-label='sales-grid'] #region", "South")
    bob.page.wait_for_function(f"() => ({CHART_TITLE})() === 'South region'", timeout=10000)
    time.sleep(0.75)  # a stray delivery would have arrived by now
    assert alice.chart_title() == "North region"
    assert bob.chart_title() == "South region"
    # a new page load sees the stored chart, not either person's choice
    carol = people()
    carol.open(a.base_url + "/", "sales-chart")
    assert carol.chart_title() == "All regions"
    assert [len(v.sockets) for v in (alice, bob, carol)] == [1, 1, 1]
    assert alice.errors == bob.errors == carol.errors == []
    print("\n[per viewer] alice=North (worker a), bob=South (worker b), new load=All")


def test_the_apps_own_jinja2_template_places_two_widgets(servers, people) -> None:
    a, _ = servers
    alice = people()
    alice.open(a.base_url + "/template", "sales-chart")
    page = alice.page
    assert page.locator("#app-title").inner_text() == "Team dashboard"
    assert page.locator("#left-column [data-pywry-label='notes'] .notes-text").count() == 1
    assert page.locator("#right-column [data-pywry-label='sales-chart'] .main-svg").count() >= 1
    assert len(alice.sockets) == 1 and "widgets=notes%2Csales-chart" in alice.sockets[0]
    page.click("[data-pywry-label='notes'] #ping")
    page.wait_for_function(f"() => ({CHART_TITLE})() === 'Pinged'", timeout=10000)
    assert alice.errors == []


def test_the_page_socket_refuses_what_is_not_on_the_page(servers) -> None:
    a, _ = servers
    ws_url = a.base_url.replace("http", "ws") + "/pywry/ws"
    origin = {"Origin": a.base_url}
    with connect(ws_url + "?widgets=nope", additional_headers=origin) as ws:
        refusal = json.loads(ws.recv(5))
        assert refusal["code"] == "unknown_widget"
    with connect(ws_url, additional_headers=origin) as ws:
        assert json.loads(ws.recv(5))["code"] == "bad_message"
    with connect(ws_url + "?widgets=notes,sales-chart", additional_headers=origin) as ws:
        ws.send(json.dumps({"type": "hello", "lastSeqs": None, "viewer": None}))
        welcome = json.loads(ws.recv(5))
        assert welcome["type"] == "welcome" and set(welcome["seqs"]) == {"notes", "sales-chart"}
        ws.send(json.dumps({"type": "event", "id": "x-1", "event": "app:ping", "data": {}}))
        reply = json.loads(ws.recv(5))
        assert reply["code"] == "bad_message" and reply["id"] == "x-1"
        assert "label" in reply["message"]
        frame = {"type": "event", "id": "x-2", "event": "app:region", "data": {}}
        ws.send(json.dumps({**frame, "label": "sales-grid"}))  # a widget of no page here
        reply = json.loads(ws.recv(5))
        assert reply["code"] == "bad_message" and "not on this page" in reply["message"]
        ws.send(json.dumps({**frame, "id": "x-3", "event": "app:ping", "label": "notes"}))
        seen = [json.loads(ws.recv(5)) for _ in range(3)]
        acks = [f for f in seen if f.get("type") == "ack"]
        assert acks == [{"type": "ack", "id": "x-3", "status": "ok"}]
        events = {f["event"]: f for f in seen if f.get("type") == "event"}
        assert events["pywry:alert"]["label"] == "notes"
        assert events["plotly:update-layout"]["label"] == "sales-chart"
    # the single-widget page and its socket are unchanged
    assert httpx.get(a.base_url + "/widget/notes").status_code == 200


def test_page_helpers_say_what_is_wrong() -> None:
    from pywry.inline import get_page_html

    with pytest.raises(ValueError, match="at least one"):
        get_page_html()
    with pytest.raises(ValueError, match="named twice"):
        get_page_html("a", "a")
    with pytest.raises(ValueError, match="at most 32"):
        get_page_html(*[f"w{i}" for i in range(33)])
