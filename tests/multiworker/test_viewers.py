"""Viewers (issue 8): every interaction belongs to the person who made it, on any worker.

Real servers (the spec's Full Example, the README demo and a broadcast app, run as
their own scripts with uvicorn workers), real Redis, real SQLite files, headless
Chromium with one browser context per person, and a raw ``websockets`` client for the
protocol-level refusals. One server per (app, backend) is shared by the tests that
need it (``servers`` below starts it on first use and stops it when another is asked
for), so the tests are ordered by the server they use. Each test prints its counts.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pywry.config import env_var_for
from pywry_state_redis.testing import ThrowawayRedis, redis_server_url
from servers import ROOT, start_server
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from .conftest import APPS, SQLITE_KEY, MultiWorker, got, kill, open_widget, wait_got, worker_pid

pytestmark = pytest.mark.e2e

FULL_EXAMPLE = ROOT / "examples" / "full_example.py"
SALES = ROOT / "examples" / "sales_dashboard.py"
BROADCAST_APP = APPS / "broadcast_app.py"
FULL_CSV = "quarter,value\nQ1,100\nQ2,150\nQ3,130\nQ4,180"
SALES_ROWS = {
    "north": [60, 85, 70, 110],
    "south": [40, 65, 60, 70],
    "all": [100, 150, 130, 180],
}
TITLES = {"north": "North region", "south": "South region", "all": "All regions"}
#: How long a page is watched for a stray delivery after the right one arrived.
SETTLE = 0.75


def _sales_csv(region: str) -> str:
    rows = zip(["Q1", "Q2", "Q3", "Q4"], SALES_ROWS[region], strict=True)
    return "quarter,value\n" + "\n".join(f"{q},{v}" for q, v in rows)


def _report(name: str, **numbers: Any) -> None:
    print(f"\n[{name}] " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


# -- servers -------------------------------------------------------------------------


def _deploy_settings(backend: str, root: Path) -> dict[str, str]:
    """A fresh namespace, as conftest's start_multiworker makes one."""
    run_id = uuid.uuid4().hex[:10]
    if backend == "redis":
        return {"redis_url": redis_server_url(), "redis_prefix": f"pywry-viewers-{run_id}"}
    if backend == "sqlite":
        return {"sqlite_path": str(root / "state" / f"viewers-{run_id}.db")}
    return {}


def start_script(script: Path, root: Path, backend: str, workers: int) -> MultiWorker:
    """Run ``script`` with ``workers`` uvicorn workers on ``backend`` until all are alive."""
    deploy = _deploy_settings(backend, root)
    server = start_server(
        script,
        root,
        env={
            "PYWRY_SERVER__WORKERS": str(workers),
            "PYWRY_SERVER__LOG_LEVEL": "info",
            "PYWRY_DEPLOY__STATE_BACKEND": backend,
            **{env_var_for("deploy", name): value for name, value in deploy.items()},
            **({"PYWRY_SQLITE_KEY": SQLITE_KEY} if backend == "sqlite" else {}),
        },
    )
    running = MultiWorker(server, backend, deploy, workers)
    if backend != "memory":  # a memory backend is private to the server process
        try:
            running.wait_workers(workers)
        except BaseException:
            server.stop()
            running.cleanup()
            raise
    return running


class Servers:
    """At most one running server: the one the current test asked for."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._key: tuple[str, str, int] | None = None
        self._running: MultiWorker | None = None

    def get(self, script: Path, backend: str, workers: int) -> MultiWorker:
        key = (script.name, backend, workers)
        if self._key != key:
            self.stop()
            root = self._root / f"{script.stem}-{backend}-{workers}"
            root.mkdir(parents=True, exist_ok=True)
            self._running = start_script(script, root, backend, workers)
            self._key = key
        assert self._running is not None
        return self._running

    def stop(self) -> None:
        if self._running is not None:
            self._running.server.stop()
            self._running.cleanup()
        self._running, self._key = None, None


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYWRY_SQLITE_KEY", SQLITE_KEY)  # this process reads the SQLite files
        running = Servers(tmp_path_factory.mktemp("viewers"))
        yield running
        running.stop()


# -- pages ---------------------------------------------------------------------------

RECORDED = ["pywry:download", "pywry:alert", "plotly:update-figure"]


class Viewer:
    """One person: a page in its own browser context, its downloads and its socket's worker."""

    def __init__(self, name: str, page: Any, url: str) -> None:
        self.name = name
        self.page = page
        self.downloads: list[Any] = []
        page.on("download", lambda download: self.downloads.append(download))
        self.worker = open_widget(page, url, RECORDED)
        self.viewer_id = str(page.evaluate("window.pywry.viewerId"))

    @property
    def pid(self) -> int:
        return worker_pid(self.worker)

    def filenames(self) -> list[str]:
        return [d.suggested_filename for d in self.downloads]

    def export(self) -> tuple[str, str]:
        """Click Export CSV; the one download this page gets, as (filename, text)."""
        with self.page.expect_download(timeout=20000) as info:
            self.page.get_by_role("button", name="Export CSV").click()
        download = info.value
        return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")

    def title(self) -> str:
        return str(self.page.locator("#pywry-plot .gtitle").text_content())

    def wait_title(self, text: str) -> None:
        self.page.locator("#pywry-plot .gtitle", has_text=text).wait_for(timeout=20000)

    def choose(self, region: str) -> None:
        self.page.get_by_label("Region").select_option(region)
        self.wait_title(TITLES[region])

    def selected(self) -> str:
        return str(self.page.get_by_label("Region").input_value())


def _viewer(fresh_page, name: str, url: str, *, plot: bool = False) -> Viewer:
    viewer = Viewer(name, fresh_page(), url)
    if plot:
        viewer.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=20000)
    return viewer


def _viewers_on_two_workers(fresh_page, url: str, names: list[str], **kw: Any) -> list[Viewer]:
    """One viewer per name; the last is reopened until not every socket is on one worker."""
    viewers = [_viewer(fresh_page, name, url, **kw) for name in names]
    for _ in range(12):
        if len({v.worker for v in viewers}) >= 2:
            break
        viewers[-1].page.context.close()
        viewers[-1] = _viewer(fresh_page, names[-1], url, **kw)
    assert len({v.worker for v in viewers}) >= 2, "every socket landed on one worker"
    return viewers


# -- 1. the spec's Full Example: only the clicker downloads ---------------------------


def _full_example_two_viewers(mw: MultiWorker, fresh_page, name: str) -> None:
    url = mw.base_url + "/"
    if mw.workers > 1:
        first, second = _viewers_on_two_workers(fresh_page, url, ["A", "B"])
    else:
        first, second = (_viewer(fresh_page, n, url) for n in ("A", "B"))
    assert first.viewer_id != second.viewer_id
    clicks = {"A": 0, "B": 0}

    assert first.export() == ("data.csv", FULL_CSV)
    clicks["A"] += 1
    time.sleep(SETTLE)
    second_before = second.filenames()
    assert second.export() == ("data.csv", FULL_CSV)
    clicks["B"] += 1
    assert first.export() == ("data.csv", FULL_CSV)
    clicks["A"] += 1
    time.sleep(SETTLE)

    per_page = {v.name: v.filenames() for v in (first, second)}
    events = {v.name: len(got(v.page, "pywry:download")) for v in (first, second)}
    wrong = sum(len(per_page[n]) - clicks[n] for n in per_page)
    exports = mw.calls("chart:export")
    _report(
        name,
        viewers=2,
        workers={v.name: v.pid for v in (first, second)},
        clicks=clicks,
        downloads=per_page,
        download_events=events,
        export_callbacks=len(exports),
        wrong_deliveries=wrong,
    )
    assert second_before == [], "the other viewer got the first viewer's download"
    assert per_page == {"A": ["data.csv", "data.csv"], "B": ["data.csv"]}
    assert events == {"A": 2, "B": 1}
    assert len(exports) == 3 and all(c["ok"] for c in exports)


def test_full_example_two_viewers_one_worker_memory(servers, fresh_page) -> None:
    mw = servers.get(FULL_EXAMPLE, "memory", 1)
    _full_example_two_viewers(mw, fresh_page, "full-example memory x1")


# -- 4. refusals and replay at the protocol level --------------------------------------


def _anon_cookie(base_url: str) -> str:
    reply = httpx.get(base_url + "/", timeout=10)
    assert reply.status_code == 200
    value = reply.cookies.get("pywry_anon")
    assert value, f"no pywry_anon cookie in {reply.headers.get_list('set-cookie')}"
    return str(value)


def _ws_url(base_url: str) -> str:
    html = httpx.get(base_url + "/", timeout=10).text
    match = re.search(r'"wsPath":\s*"([^"]+)"', html)
    assert match, "no wsPath in the page"
    return base_url.replace("http", "ws", 1) + match.group(1)


def _open(url: str, cookie: str | None) -> ClientConnection:
    headers = {"Cookie": f"pywry_anon={cookie}"} if cookie is not None else None
    client = f"?client=proto{secrets.token_hex(6)}"
    return connect(url + client, additional_headers=headers, open_timeout=10)


def _hello(ws: ClientConnection, viewer: str | None, viewer_seq: int | None) -> dict[str, Any]:
    ws.send(
        json.dumps({"type": "hello", "lastSeq": None, "viewer": viewer, "viewerSeq": viewer_seq})
    )
    return dict(json.loads(ws.recv(10)))


def _refused(url: str, cookie: str | None, viewer: str) -> tuple[dict[str, Any], int | None]:
    """The reply and close code to a hello presenting ``viewer`` with ``cookie``."""
    with _open(url, cookie) as ws:
        reply = _hello(ws, viewer, 0)
        try:
            extra = ws.recv(10)
        except ConnectionClosed as closed:
            return reply, closed.rcvd.code if closed.rcvd is not None else None
        raise AssertionError(f"the socket stayed open after {reply}: then {extra}")


def _frames_until(ws: ClientConnection, done, timeout: float = 15.0) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(frames):
        left = deadline - time.monotonic()
        assert left > 0, f"gave up waiting; got {frames}"
        frames.append(json.loads(ws.recv(left)))
    return frames


def _refusals_and_replay(mw: MultiWorker, name: str, filename: str) -> None:
    url = _ws_url(mw.base_url)
    cookie_a, cookie_b = _anon_cookie(mw.base_url), _anon_cookie(mw.base_url)
    assert cookie_a != cookie_b
    sent = 3
    exports_before = len(mw.calls("chart:export"))

    # A's first socket: a fresh viewer; it sends three exports and leaves once they are
    # acknowledged (an unacknowledged frame is the client's to resend, as the bridge does)
    # and answered: the answers' numbers say where the viewer's log starts (the clock).
    with _open(url, cookie_a) as ws:
        welcome = _hello(ws, None, None)
        assert welcome["type"] == "welcome", welcome
        viewer, first_worker = welcome["viewer"], welcome["workerId"]
        assert welcome["viewerSeq"] == 0
        for i in range(sent):
            ws.send(json.dumps({"type": "event", "id": f"x-{i}", "event": "chart:export"}))
        answered = _frames_until(
            ws,
            lambda f: (
                sum(x.get("type") == "ack" for x in f) == sent
                and sum(x.get("type") == "event" for x in f) == sent
            ),
        )
    first = min(f["vseq"] for f in answered if f.get("type") == "event")
    deadline = time.monotonic() + 20
    while len(mw.calls("chart:export")) < exports_before + sent:
        assert time.monotonic() < deadline, mw.server.log()
        time.sleep(0.05)
    if mw.backend != "memory":  # all three are in the viewer's own log
        log_id = f"viewer:{viewer}"
        while len(mw.backend_call(lambda b: b.events.since(log_id, 0))) < sent:
            assert time.monotonic() < deadline, "the viewer's log never filled"
            time.sleep(0.05)
    else:
        time.sleep(0.3)

    refusals = {
        "borrowed (cookie B)": _refused(url, cookie_b, viewer),
        "borrowed (no cookie)": _refused(url, None, viewer),
        "made up": _refused(url, cookie_a, secrets.token_urlsafe(18)),
        "malformed": _refused(url, cookie_a, "not a viewer id!"),
    }
    for reply, code in refusals.values():
        assert reply["type"] == "error" and reply["code"] == "forbidden_viewer", reply
        assert code == 4403

    # B, a fresh viewer of its own, is connected while A comes back and exports again.
    with _open(url, cookie_b) as other, _open(url, cookie_a) as ws:
        other_welcome = _hello(other, None, None)
        assert other_welcome["type"] == "welcome" and other_welcome["viewer"] != viewer
        again = _hello(ws, viewer, first)  # the page says it has the first of its events
        assert again["type"] == "welcome", again
        assert (again["viewer"], again["viewerSeq"]) == (viewer, first + sent - 1)
        replayed = _frames_until(ws, lambda f: len(f) >= sent - 1)
        ws.send(json.dumps({"type": "event", "id": "x-live", "event": "chart:export", "data": {}}))
        live = _frames_until(
            ws,
            lambda f: (
                any(x.get("type") == "event" for x in f) and any(x.get("type") == "ack" for x in f)
            ),
        )
        try:
            stray = other.recv(SETTLE)
        except TimeoutError:
            stray = None
    events = [f for f in replayed + live if f.get("type") == "event"]
    vseqs = [f.get("vseq") for f in events]
    _report(
        name,
        viewers=2,
        sockets=7,
        first_worker=worker_pid(first_worker),
        resumed_on=worker_pid(again["workerId"]),
        refused={k: (r["code"], c) for k, (r, c) in refusals.items()},
        logged_events=sent,
        resumed_from_vseq=first,
        replayed_vseq=[f.get("vseq") for f in replayed],
        live_vseq=vseqs[sent - 1 :],
        wrong_deliveries=0 if stray is None else 1,
    )
    assert vseqs == list(range(first + 1, first + sent + 1)), events
    assert all("seq" not in f for f in events)
    assert all(f["event"] == "pywry:download" for f in events)
    assert {f["data"]["filename"] for f in events} == {filename}
    assert [f for f in live if f.get("type") == "ack"] == [
        {"type": "ack", "id": "x-live", "status": "ok"}
    ]
    assert stray is None, f"viewer B got A's event: {stray}"


def test_forged_and_borrowed_viewer_refused_memory(servers) -> None:
    mw = servers.get(FULL_EXAMPLE, "memory", 1)
    _refusals_and_replay(mw, "refusals memory x1", "data.csv")


def test_a_browser_with_a_cookie_the_server_never_issued_gets_a_session(servers) -> None:
    """A viewer is bound to its browser's ``pywry_anon`` session. A browser whose cookie is
    not one the server issues (too short, other characters, or only a cookie whose name
    ends in ``pywry_anon``) has no session: its page must get a real one, or its viewers
    are bound to "no session" and any browser in the same state (or a cookie-less
    client) may resume them."""
    mw = servers.get(FULL_EXAMPLE, "memory", 1)
    sent = {
        "too short": "pywry_anon=short",
        "bad characters": "pywry_anon=" + "%" * 24,
        "another cookie's name": "my_pywry_anon=" + secrets.token_urlsafe(24),
    }
    issued: dict[str, str | None] = {}
    for case, header in sent.items():
        reply = httpx.get(mw.base_url + "/", headers={"Cookie": header}, timeout=10)
        assert reply.status_code == 200
        issued[case] = reply.cookies.get("pywry_anon")
    # what follows from it: two such browsers share one "session"
    url = _ws_url(mw.base_url)
    with _open(url, "short1") as first:
        viewer = _hello(first, None, None)["viewer"]
        with _open(url, "short2") as second:
            borrowed = _hello(second, viewer, 0)
    _report(
        "unissued cookies memory x1",
        new_cookie_issued={k: v is not None for k, v in issued.items()},
        other_browser_resumed_viewer=borrowed["type"] == "welcome",
    )
    assert all(
        value is not None and re.fullmatch(r"[A-Za-z0-9_\-]{16,64}", value)
        for value in issued.values()
    ), issued


@pytest.mark.parametrize("backend", [pytest.param("redis", marks=pytest.mark.redis), "sqlite"])
def test_full_example_two_viewers_four_workers(servers, fresh_page, backend: str) -> None:
    mw = servers.get(FULL_EXAMPLE, backend, 4)
    _full_example_two_viewers(mw, fresh_page, f"full-example {backend} x4")


# -- 2. the README demo: three viewers, three regions, three exports --------------------


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def test_readme_demo_three_viewers_each_see_their_own(servers, fresh_page, backend: str) -> None:
    mw = servers.get(SALES, backend, 4)
    url = mw.base_url + "/"
    a, b, c = _viewers_on_two_workers(fresh_page, url, ["A", "B", "C"], plot=True)
    viewers = [a, b, c]
    assert all(v.title() == "All regions" for v in viewers)

    a.choose("north")
    b.choose("south")
    time.sleep(SETTLE)
    titles = {v.name: v.title() for v in viewers}
    selects = {v.name: v.selected() for v in viewers}
    exported = {v.name: v.export() for v in viewers}
    time.sleep(SETTLE)

    late = _viewer(fresh_page, "D", url, plot=True)
    late_title, late_select = late.title(), late.selected()
    late_export = late.export()
    time.sleep(SETTLE)
    everyone = [*viewers, late]
    downloads = {v.name: v.filenames() for v in everyone}
    figures = {v.name: len(got(v.page, "plotly:update-figure")) for v in everyone}
    alerts = {v.name: [x["message"] for x in got(v.page, "pywry:alert")] for v in everyone}
    own = {"A": "north", "B": "south", "C": "all", "D": "all"}
    wrong = sum(len(files) - 1 for files in downloads.values()) + sum(
        1 for n, msgs in alerts.items() for m in msgs if m != f"Showing {own[n]}"
    )
    _report(
        f"readme-demo {backend} x4",
        viewers=4,
        socket_workers={v.name: v.pid for v in everyone},
        distinct_workers=len({v.worker for v in everyone}),
        titles={**titles, "D": late_title},
        selects={**selects, "D": late_select},
        downloads=downloads,
        chart_updates=figures,
        alerts=alerts,
        wrong_deliveries=wrong,
    )
    assert titles == {"A": "North region", "B": "South region", "C": "All regions"}
    assert selects == {"A": "north", "B": "south", "C": "all"}
    assert exported == {
        "A": ("sales-north.csv", _sales_csv("north")),
        "B": ("sales-south.csv", _sales_csv("south")),
        "C": ("sales-all.csv", _sales_csv("all")),
    }
    assert (late_title, late_select) == ("All regions", "all")
    assert late_export == ("sales-all.csv", _sales_csv("all"))
    assert downloads == {
        "A": ["sales-north.csv"],
        "B": ["sales-south.csv"],
        "C": ["sales-all.csv"],
        "D": ["sales-all.csv"],
    }
    assert figures == {"A": 1, "B": 1, "C": 0, "D": 0}
    assert alerts == {"A": ["Showing north"], "B": ["Showing south"], "C": [], "D": []}


@pytest.mark.redis
def test_forged_and_borrowed_viewer_refused_redis(servers) -> None:
    mw = servers.get(SALES, "redis", 4)
    _refusals_and_replay(mw, "refusals redis x4", "sales-all.csv")


@pytest.mark.redis
def test_viewer_event_reaches_its_socket_on_another_worker_live(servers) -> None:
    """A viewer with a socket on worker X and one on worker Y (the page reconnected to Y
    while X still holds its old socket, or a page of two widgets): what a callback on X
    sends that viewer reaches Y at once, not at Y's next upkeep round (up to 10 s)."""
    mw = servers.get(SALES, "redis", 4)
    url = _ws_url(mw.base_url)
    cookie = _anon_cookie(mw.base_url)
    with contextlib.ExitStack() as sockets:
        old = sockets.enter_context(_open(url, cookie))
        welcome = _hello(old, None, None)
        viewer, old_worker = welcome["viewer"], welcome["workerId"]
        for _ in range(24):
            attempt = contextlib.ExitStack()
            new = attempt.enter_context(_open(url, cookie))
            resumed = _hello(new, viewer, 0)
            assert resumed["type"] == "welcome" and resumed["viewer"] == viewer, resumed
            if resumed["workerId"] != old_worker:
                sockets.enter_context(attempt)
                break
            attempt.close()
        else:
            raise AssertionError("every socket landed on one worker")
        delays: list[float | None] = []
        vseqs: list[int] = []
        for i in range(2):  # the callback runs on X, where the old socket is
            old.send(json.dumps({"type": "event", "id": f"y-{i}", "event": "chart:export"}))
            started = time.monotonic()
            try:
                frame = json.loads(new.recv(1.5))
                delays.append(round(time.monotonic() - started, 2))
            except TimeoutError:
                frame = None
                delays.append(None)
            _report(
                "two sockets of one viewer redis x4",
                callback_worker=worker_pid(old_worker),
                other_socket_worker=worker_pid(resumed["workerId"]),
                export=i + 1,
                delay_on_other_worker=delays[-1],
                frame=frame,
            )
            assert frame is not None, (
                "the viewer's socket on another worker did not get its event within 1.5 s"
            )
            assert frame["event"] == "pywry:download", frame
            vseqs.append(frame["vseq"])  # the viewer's new log: from the clock, then +1
            assert vseqs == list(range(vseqs[0], vseqs[0] + i + 1)), frame


# -- 3. ctx.state across workers and a worker's death ------------------------------------


@pytest.mark.redis
def test_ctx_state_survives_the_viewers_worker_being_killed(servers, fresh_page) -> None:
    mw = servers.get(SALES, "redis", 4)
    url = mw.base_url + "/"
    viewer = _viewer(fresh_page, "A", url, plot=True)
    bystander = _viewer(fresh_page, "B", url, plot=True)
    calls_before = len(mw.server.calls())
    viewer.choose("north")
    record_id = f"viewer:{viewer.viewer_id}"
    deadline = time.monotonic() + 20
    while True:  # saved once the callback finished: in the backend, so every worker sees it
        record = mw.backend_call(lambda b: b.sessions.get(record_id))
        if record is not None and record.data.get("state") == {"region": "north"}:
            break
        assert time.monotonic() < deadline, f"ctx.state never stored: {record}"
        time.sleep(0.05)
    victim = viewer.pid
    kill(victim)
    viewer.page.wait_for_function(
        "(old) => window.pywry.state === 'open' && window.pywry.workerId !== old",
        arg=viewer.worker,
        timeout=30000,
    )
    after = str(viewer.page.evaluate("window.pywry.workerId"))
    title_after, select_after = viewer.title(), viewer.selected()
    same_viewer = viewer.page.evaluate("window.pywry.viewerId") == viewer.viewer_id
    exported = viewer.export()
    time.sleep(SETTLE)
    calls = mw.server.calls()[calls_before:]
    region_pids = [c["pid"] for c in calls if c["event"] == "chart:region"]
    export_pids = [c["pid"] for c in calls if c["event"] == "chart:export"]
    figures = len(got(viewer.page, "plotly:update-figure"))

    viewer.page.reload()  # a reload is a new viewer: the shared chart, nothing of A's
    viewer.page.wait_for_selector("html[data-pywry-plot='ready']", timeout=20000)
    viewer.page.wait_for_function("() => window.pywry && window.pywry.state === 'open'")
    reloaded_id = str(viewer.page.evaluate("window.pywry.viewerId"))
    reloaded = (viewer.title(), viewer.selected())
    reload_export = viewer.export()
    _report(
        "worker-death redis x4",
        viewers=3,
        killed=victim,
        reconnected_to=worker_pid(after),
        same_viewer_after_reconnect=same_viewer,
        title_after=title_after,
        select_after=select_after,
        select_ran_on=region_pids,
        export_ran_on=export_pids,
        export=exported[0],
        chart_updates=figures,
        after_reload=(*reloaded, reload_export[0]),
        bystander_downloads=bystander.filenames(),
        wrong_deliveries=len(bystander.filenames()) + len(got(bystander.page, "pywry:alert")),
    )
    assert worker_pid(after) != victim
    assert same_viewer
    assert (title_after, select_after) == ("North region", "north")
    assert exported == ("sales-north.csv", _sales_csv("north"))
    assert region_pids == [victim]
    assert len(export_pids) == 1 and export_pids[0] != victim  # read what the dead one wrote
    assert export_pids[0] == worker_pid(after)
    assert figures == 1  # the page kept its chart; nothing was replayed twice
    assert viewer.filenames() == ["sales-north.csv", "sales-all.csv"]
    assert reloaded_id != viewer.viewer_id
    assert reloaded == ("All regions", "all")
    assert reload_export == ("sales-all.csv", _sales_csv("all"))
    assert bystander.filenames() == [] and got(bystander.page, "pywry:alert") == []
    assert bystander.title() == "All regions"


# -- 5. broadcast from a callback reaches every viewer on every worker -------------------


@pytest.mark.redis
def test_broadcast_from_a_callback_reaches_every_viewer_once(servers, fresh_page) -> None:
    mw = servers.get(BROADCAST_APP, "redis", 4)
    url = mw.base_url + "/"
    pages = []
    for i in range(10):
        page = fresh_page()
        pages.append((page, open_widget(page, url, ["app:everyone", "app:mine"])))
        if i >= 3 and len({w for _, w in pages}) >= 2:
            break
    workers = [w for _, w in pages]
    assert len(set(workers)) >= 2, workers
    shouter = 0
    other = next(i for i, (_, w) in enumerate(pages) if w != workers[shouter])
    pages[shouter][0].evaluate("() => window.pywry.emit('app:shout', {n: 1})")
    pages[other][0].evaluate("() => window.pywry.emit('app:shout', {n: 2})")
    for page, _ in pages:
        wait_got(page, "app:everyone", 2)
    wait_got(pages[shouter][0], "app:mine", 1)
    wait_got(pages[other][0], "app:mine", 1)
    time.sleep(SETTLE)
    everyone = [sorted(x["n"] for x in got(p, "app:everyone")) for p, _ in pages]
    mine = [[x["n"] for x in got(p, "app:mine")] for p, _ in pages]
    expected_mine = [[1] if i == shouter else [2] if i == other else [] for i in range(len(pages))]
    ran_on = sorted({c["pid"] for c in mw.calls("app:shout")})
    _report(
        "broadcast redis x4",
        viewers=len(pages),
        socket_workers=[worker_pid(w) for w in workers],
        shouts=2,
        callbacks_ran_on=ran_on,
        broadcast_received=[len(e) for e in everyone],
        own_received=[len(m) for m in mine],
        wrong_deliveries=sum(
            abs(len(m) - len(e)) for m, e in zip(mine, expected_mine, strict=True)
        ),
    )
    assert everyone == [[1, 2]] * len(pages)
    assert mine == expected_mine
    assert len(mw.calls("app:shout")) == 2


# -- Redis restarted empty: open pages carry on ------------------------------------------


@pytest.mark.redis
def test_page_reconnects_after_redis_restarted_empty(servers, fresh_page, tmp_path: Path) -> None:
    """docs/viewers.md: when "the viewer's log is lost (Redis restarted empty)" the page
    carries on (the log made again numbers from the clock, above what the page has); it
    must not be refused as a forged viewer."""
    servers.stop()
    redis = ThrowawayRedis()
    redis.start()
    mw = None
    try:
        deploy = {"redis_url": redis.url, "redis_prefix": f"pywry-viewers-{uuid.uuid4().hex[:8]}"}
        server = start_server(
            SALES,
            tmp_path,
            env={
                "PYWRY_SERVER__WORKERS": "2",
                "PYWRY_DEPLOY__STATE_BACKEND": "redis",
                "PYWRY_DEPLOY__CONNECTION_TTL": "3",  # upkeep every second
                **{env_var_for("deploy", k): v for k, v in deploy.items()},
            },
        )
        mw = MultiWorker(server, "redis", deploy, 2)
        mw.wait_workers(2)
        page = fresh_page(controlled=True)
        viewer = Viewer("A", page, mw.base_url + "/")
        page.wait_for_selector("html[data-pywry-plot='ready']", timeout=20000)
        viewer.choose("north")

        redis.stop()
        _wait_ready(mw.base_url, 503)
        redis.start()  # empty: no persistence
        _wait_ready(mw.base_url, 200)
        mw.wait_workers(2)
        time.sleep(3)  # a few upkeep rounds: workers register what they hold again

        page.evaluate("() => window.__sockets.forEach((s) => s.close())")
        page.wait_for_function(
            "(n) => window.__sockets.length > n && "
            "(window.pywry.state === 'open' || window.pywry.state === 'closed')",
            arg=int(page.evaluate("window.__sockets.length")),
            timeout=20000,
        )
        state = str(page.evaluate("window.pywry.state"))
        banner = page.locator("#pywry-unavailable")
        shown = banner.text_content() if banner.count() else None
        _report(
            "redis restarted empty",
            viewer_state_after_reconnect=state,
            banner=shown,
            same_viewer=page.evaluate("window.pywry.viewerId") == viewer.viewer_id,
        )
        assert state == "open", f"the page was refused after Redis restarted: {shown!r}"
        name, _text = viewer.export()
        assert name in ("sales-north.csv", "sales-all.csv")
    finally:
        if mw is not None:
            mw.server.stop()
        redis.stop()


def _wait_ready(base_url: str, status: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base_url + "/readyz", timeout=2).status_code == status:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"/readyz never answered {status}"
        time.sleep(0.1)
