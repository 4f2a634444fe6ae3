"""The page side of security in headless Chromium: CSP, the Plotly modebar, cross-site sockets.

- Every kind of page (the Quick Start chart, a grid, every toolbar component, a WebGL
  chart once the app allows eval) loads completely under its Content-Security-Policy
  with no violation, and the policy is really enforced (markup injected into the page
  cannot run). Without the opt-in a WebGL chart says which setting it needs.
- The Plotly modebar offers no way to send the figure off the server, whatever the
  app's config asks, also after Python sends a new config.
- A page on another port of the same host cannot drive a widget: its WebSocket is
  closed with 4403; another site's Origin is refused and a listed one accepted.
- ``/docs`` (API docs on) shows the schema's routes and asks nothing of another host.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from servers import ROOT, ServerProcess, free_port, start_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

pytestmark = pytest.mark.e2e

APPS = ROOT / "tests" / "e2e" / "apps"
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def serve(tmp_path: Path, backend_env: dict[str, str]) -> Iterator[Any]:
    servers: list[ServerProcess] = []

    def start(script: Path, **env: str) -> ServerProcess:
        server = start_server(script, tmp_path, env={**backend_env, **env})
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Watched:
    """A page (CSP enforced) recording violations, console errors and failed requests."""

    def __init__(self, browser: Any, url: str) -> None:
        self.context = browser.new_context()
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.problems.append(f"pageerror: {err}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.response = self.page.goto(url)

    def _console(self, msg: Any) -> None:
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.problems.append(f"{msg.type}: {msg.text}")

    def settle(self) -> None:
        self.page.wait_for_function("() => window.pywry && window.pywry.state === 'open'")
        self.page.wait_for_load_state("networkidle")

    def violations(self) -> list[str]:
        return list(self.page.evaluate("window.__csp"))

    def assert_enforced(self) -> None:
        """Markup injected after load cannot run: the policy is applied, not just sent."""
        self.page.evaluate(
            "document.body.insertAdjacentHTML('beforeend',"
            " '<img src=x onerror=\"window.__ran = 1\">')"
        )
        self.page.wait_for_function("() => window.__csp.length > 0")
        assert self.page.evaluate("window.__ran") is None
        assert any(v.startswith("script-src") for v in self.violations())


@pytest.fixture
def watch(browser: Any) -> Iterator[Any]:
    opened: list[Watched] = []

    def open_(url: str) -> Watched:
        w = Watched(browser, url)
        opened.append(w)
        return w

    yield open_
    for w in opened:
        w.context.close()


def _check_clean(w: Watched) -> None:
    assert w.response is not None and w.response.status == 200
    policy = w.response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert w.response.headers["x-frame-options"] == "DENY"
    assert w.violations() == []
    assert w.problems == []
    w.assert_enforced()


def test_quickstart_chart_loads_fully_under_the_policy(serve, watch) -> None:
    server = serve(ROOT / "examples" / "quickstart.py")
    w = watch(server.base_url + "/")
    w.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=30000)
    w.settle()
    assert w.page.locator("#pywry-plot g.trace.bars g.point").count() == 4
    _check_clean(w)


def _gl_points_drawn(w: Watched) -> bool:
    """Whether the WebGL canvas has any non-blank pixel (read back through a 2D canvas)."""
    return bool(
        w.page.evaluate(
            """() => [...document.querySelectorAll('#pywry-plot canvas.gl-canvas')].some(c => {
                 const copy = document.createElement('canvas');
                 copy.width = c.width; copy.height = c.height;
                 const ctx = copy.getContext('2d');
                 ctx.drawImage(c, 0, 0);
                 return ctx.getImageData(0, 0, c.width, c.height).data.some(v => v !== 0);
               })"""
        )
    )


def test_webgl_chart_needs_the_eval_opt_in_and_says_so(serve, watch) -> None:
    strict = serve(APPS / "plotly_app.py", PYWRY_SERVER__CSP_ALLOW_EVAL="false")
    w = watch(strict.base_url + "/widget/small-gl")
    w.page.wait_for_selector("#pywry-plot-blocked", timeout=30000)
    assert "PYWRY_SERVER__CSP_ALLOW_EVAL=true" in w.page.locator("#pywry-plot-blocked").inner_text()
    assert "'unsafe-eval'" not in w.response.headers["content-security-policy"]
    assert "PYWRY_SERVER__CSP_ALLOW_EVAL=true" in strict.log()  # warned at show_plotly()
    assert not _gl_points_drawn(w)

    allowed = serve(APPS / "plotly_app.py")  # the app opts in
    g = watch(allowed.base_url + "/widget/small-gl")
    g.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=30000)
    g.settle()
    g.page.wait_for_function("() => document.querySelector('#pywry-plot canvas.gl-canvas')")
    assert "script-src 'self' 'unsafe-eval';" in g.response.headers["content-security-policy"]
    assert _gl_points_drawn(g)
    assert g.page.locator("#pywry-plot-blocked").count() == 0
    assert g.violations() == []
    assert g.problems == []
    g.assert_enforced()  # eval allowed, inline script still refused


def test_grid_and_toolbars_load_fully_under_the_policy(serve, watch) -> None:

    grid_app = serve(APPS / "grid_app.py")
    g = watch(grid_app.base_url + "/")
    g.page.wait_for_selector("html[data-pywry-grid='ready']", timeout=30000)
    g.settle()
    assert g.page.locator(".tabulator-row").count() == 4
    _check_clean(g)

    toolbar_app = serve(APPS / "toolbar_app.py")
    t = watch(toolbar_app.base_url + "/")
    t.settle()
    assert t.page.locator(".pywry-toolbar [data-kind]").count() > 10
    assert t.page.locator(".pywry-marquee[style]").count() > 0  # a style attribute is fine
    _check_clean(t)


MODEBAR_TITLES = (
    "() => [...document.querySelectorAll('#pywry-plot .modebar-btn')]"
    ".map(b => b.getAttribute('data-title'))"
)


def _assert_nothing_leaves(w: Watched) -> None:
    titles = w.page.evaluate(MODEBAR_TITLES)
    assert "Download plot as a PNG" in titles  # the modebar is there...
    offenders = [t for t in titles if any(k in t for k in ("Share", "Studio", "Cloud", "Edit"))]
    assert offenders == []  # ...with no button that sends the figure away
    assert w.page.locator("#pywry-plot .js-plot-link-container a").count() == 0
    assert w.page.locator("#pywry-plot").inner_text().find("Send data away") < 0


def test_modebar_never_offers_to_send_the_figure_off_the_server(serve, watch) -> None:
    server = serve(APPS / "xss_app.py")
    w = watch(server.base_url + "/widget/xss-chart")
    w.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=30000)
    w.settle()
    _assert_nothing_leaves(w)
    w.page.evaluate("window.pywry.emit('app:refig', {})")  # a new figure with the same config
    w.page.wait_for_function(
        "() => document.querySelector('#pywry-plot .gtitle').textContent === 'Second'"
    )
    _assert_nothing_leaves(w)
    assert w.violations() == []


# -- cross-site WebSockets ----------------------------------------------------------------

ATTACKER = """<!doctype html><script>
var s = new WebSocket('%s');
window.__frames = [];
s.onopen = function () { s.send(JSON.stringify({type: 'hello', lastSeq: null})); };
s.onmessage = function (m) { window.__frames.push(JSON.parse(m.data)); };
s.onclose = function (e) { window.__closed = e.code; };
</script>"""


@pytest.fixture
def attacker_site() -> Iterator[Any]:
    """A page served from another port of the same host (no CSP: it is not ours)."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def host(socket_url: str) -> str:
        pages["/"] = ATTACKER % socket_url
        return f"http://127.0.0.1:{httpd.server_port}/"

    yield host
    httpd.shutdown()
    httpd.server_close()


def test_the_api_docs_page_loads_nothing_from_another_host(serve, browser) -> None:
    server = serve(ROOT / "examples" / "quickstart.py", PYWRY_SERVER__API_DOCS="true")
    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        response = page.goto(server.base_url + "/docs")
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200
        assert requests[0] == server.base_url + "/docs"
        # nothing of another host, and no script, style, font or image of this one
        assert [url for url in requests if not url.endswith("/favicon.ico")] == requests[:1]
        assert page.evaluate("window.__csp") == []
        text = page.inner_text("body")
        for path in ("/widget/{label}", "/widget/{label}/upload/{token}/done", "/readyz"):
            assert path in text, path
        style = page.evaluate("getComputedStyle(document.querySelector('section')).borderStyle")
        assert style == "solid"  # its own style applies under its policy
    finally:
        context.close()


def test_page_on_another_port_cannot_open_the_socket(serve, browser, attacker_site) -> None:
    server = serve(APPS / "xss_app.py")  # default settings: CORS_ORIGINS ["*"]
    socket_url = server.base_url.replace("http", "ws") + "/widget/xss-board/ws?client=attacker01"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(attacker_site(socket_url))
        page.wait_for_function("() => window.__closed !== undefined", timeout=15000)
        assert page.evaluate("window.__closed") == 4403
        frames = page.evaluate("window.__frames")
        assert [f.get("code") for f in frames] == ["forbidden_origin"]
        assert "Refused WebSocket from origin" in server.log()
        own = context.new_page()  # the same browser on the server's own page is fine
        own.goto(server.base_url + "/widget/xss-board")
        own.wait_for_function("() => window.pywry && window.pywry.state === 'open'")
    finally:
        context.close()


def _handshake(url: str, origin: str) -> dict[str, Any] | int:
    """The welcome frame, or the close code when the server refuses."""
    try:
        with connect(url, origin=origin) as ws:  # type: ignore[arg-type]
            ws.send(json.dumps({"type": "hello", "lastSeq": None}))
            while True:
                frame = json.loads(ws.recv(10))
                if frame["type"] == "welcome":
                    return dict(frame)
    except ConnectionClosed as closed:
        return int(closed.rcvd.code) if closed.rcvd is not None else -1


def test_socket_origins_on_a_real_server(serve) -> None:
    listed = "http://portal.example:8443"
    server = serve(APPS / "xss_app.py", PYWRY_SERVER__CORS_ORIGINS=f"*,{listed}")
    url = server.base_url.replace("http", "ws") + "/widget/xss-board/ws?client=origins01"
    assert _handshake(url, "http://evil.example") == 4403
    assert _handshake(url, server.base_url.replace("127.0.0.1", "localhost")) == 4403
    welcome = _handshake(url, server.base_url)
    assert isinstance(welcome, dict) and welcome["type"] == "welcome"
    welcome = _handshake(url, listed)
    assert isinstance(welcome, dict) and welcome["type"] == "welcome"
