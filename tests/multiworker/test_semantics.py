"""DESIGN.md's multi-worker semantics, with 4 uvicorn workers sharing a real Redis or
one SQLite file (each test runs on both: see ``mw_backend`` in conftest.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import MultiWorker, got, kill, open_widget, wait_got, worker_pid

pytestmark = pytest.mark.e2e

CSV = "quarter,value\nQ1,100\nQ2,150"
EVENTS = ["app:region-done", "app:tick", "app:pong"]


def _new_widget(mw: MultiWorker) -> dict[str, Any]:
    created = httpx.get(mw.base_url + "/new", timeout=10).json()
    page_url = f"{mw.base_url}/widget/{created['label']}"
    deadline = time.monotonic() + 10  # the record is saved just after the response
    while httpx.get(page_url, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, f"{page_url} never appeared"
        time.sleep(0.05)
    return {**created, "url": page_url}


def _page_elsewhere(fresh_page, url: str, avoid_pid: int, tries: int = 24) -> tuple[Any, int]:
    """A fresh page on ``url`` whose socket is not on the worker ``avoid_pid``."""
    for _ in range(tries):
        page = fresh_page()
        pid = worker_pid(open_widget(page, url, EVENTS))
        if pid != avoid_pid:
            return page, pid
        page.context.close()
    raise AssertionError(f"every socket landed on worker {avoid_pid}")


def test_module_widget_has_one_label_in_every_worker(multiworker) -> None:
    mw = multiworker()
    labels, pids, ws_paths = set(), set(), set()
    for _ in range(40):
        with httpx.Client(base_url=mw.base_url, timeout=10) as client:  # a new connection
            who = client.get("/whoami").json()
            labels.add(who["label"])
            pids.add(who["pid"])
            page = client.get("/")
            assert page.status_code == 200
            ws_paths.update(re.findall(r'"wsPath":\s*"([^"]+)"', page.text))
        if len(pids) >= 3:
            break
    assert len(pids) >= 2, f"requests reached only {pids}"
    assert len(labels) == 1, labels
    assert ws_paths == {f"/widget/{labels.pop()}/ws"}


def test_twenty_fresh_pages_every_callback_once_every_download(
    multiworker, fresh_page, tmp_path: Path
) -> None:
    mw = multiworker()
    socket_pids: list[int] = []
    for i in range(20):
        page = fresh_page()
        socket_pids.append(worker_pid(open_widget(page, mw.base_url + "/", EVENTS)))
        value = ("north", "south")[i % 2]
        page.get_by_label("Region").select_option(value)
        assert wait_got(page, "app:region-done", 1)[0]["value"] == value
        with page.expect_download(timeout=20000) as info:
            page.get_by_role("button", name="Export CSV").click()
        download = info.value
        assert download.suggested_filename == "data.csv"
        assert Path(download.path()).read_text(encoding="utf-8") == CSV
        page.context.close()
    regions = mw.wait_calls("app:region", 20)
    exports = mw.wait_calls("app:export", 20)
    time.sleep(1)  # anything run twice would show up by now
    regions, exports = mw.calls("app:region"), mw.calls("app:export")
    print(
        f"\n20 pages: sockets on pids {sorted(set(socket_pids))}; "
        f"{len(regions)} region and {len(exports)} export callbacks "
        f"on pids {sorted({c['pid'] for c in regions + exports})}"
    )
    assert len(regions) == 20 and len(exports) == 20
    assert [c["data"]["value"] for c in regions].count("north") == 10
    assert len(set(socket_pids)) >= 2
    assert len({c["pid"] for c in regions + exports}) >= 2


def test_callback_answers_its_viewer_and_emit_reaches_every_browser(
    multiworker, fresh_page
) -> None:
    mw = multiworker()
    pages: dict[int, Any] = {}
    for _ in range(30):
        page = fresh_page()
        pid = worker_pid(open_widget(page, mw.base_url + "/", EVENTS))
        if pid in pages:
            page.context.close()
            continue
        pages[pid] = page
        if len(pages) == 3:
            break
    assert len(pages) >= 2, "sockets reached one worker only"
    (first_pid, first), *others = pages.items()
    first.get_by_label("Region").select_option("south")
    assert wait_got(first, "app:region-done", 1) == [{"value": "south", "pid": first_pid}]
    emitter = httpx.get(mw.base_url + "/emit", params={"n": 5}, timeout=10).json()["pid"]
    for page in pages.values():
        assert [t["i"] for t in wait_got(page, "app:tick", 5)] == [0, 1, 2, 3, 4]
        assert {t["pid"] for t in got(page, "app:tick")} == {emitter}
    for _pid, page in others:  # the callback's answer was the first viewer's alone
        assert got(page, "app:region-done") == []
    print(f"\nemit from pid {first_pid} and {emitter} reached sockets on {sorted(pages)}")


def test_runtime_widget_events_run_on_its_owner(multiworker, fresh_page) -> None:
    mw = multiworker()
    created = _new_widget(mw)
    page, socket_pid = _page_elsewhere(fresh_page, created["url"], created["pid"])
    page.get_by_label("Region").select_option("north")
    assert wait_got(page, "app:region-done", 1) == [{"value": "north", "pid": created["pid"]}]
    call = mw.wait_calls("app:region", 1, label=created["label"])[0]
    assert call["pid"] == created["pid"] != socket_pid
    print(
        f"\nrun-time widget of pid {created['pid']}: socket on {socket_pid}, callback on "
        f"{call['pid']}"
    )


def test_owner_death_tells_the_browser(multiworker, fresh_page) -> None:
    mw = multiworker(PYWRY_DEPLOY__CONNECTION_TTL="3")
    created = _new_widget(mw)
    page, _socket_pid = _page_elsewhere(fresh_page, created["url"], created["pid"])
    kill(created["pid"])
    banner = page.locator("#pywry-unavailable")
    banner.wait_for(state="visible", timeout=30000)
    assert "no longer available" in banner.inner_text()
    assert "worker that owned this widget is gone" in banner.inner_text()
    page.wait_for_function("() => window.pywry.state === 'closed'", timeout=10000)
    # the survivors removed the dead worker's widget: no worker serves it any more
    deadline = time.monotonic() + 20
    while httpx.get(created["url"], timeout=10).status_code != 404:
        assert time.monotonic() < deadline, "the dead owner's widget is still served"
        time.sleep(0.2)
    assert created["label"] not in mw.backend_call(lambda b: b.widgets.active())
