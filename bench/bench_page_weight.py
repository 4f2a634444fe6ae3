"""Page weight of the gallery: bytes transferred on a first and a second load.

Headless Chromium opens ``examples/gallery.py``'s page (the board widget with every
toolbar component, plus the chart and the grid in their own widget pages) with a
cold cache, waits until all three widgets are connected and drawn, then reloads it.
Bytes are Chromium's own count of what crossed the network for each request
(DevTools ``Network.loadingFinished`` ``encodedDataLength``: headers plus the body
as sent, gzip included); a response served from the browser cache counts 0, a 304
counts its headers. WebSocket traffic is not included.

    .venv/bin/python bench/bench_page_weight.py

Prints a table and writes ``bench/results/page_weight.md``. The browser test
``tests/e2e/test_gallery.py`` runs the same measurement and writes the same file.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
GALLERY = ROOT / "examples" / "gallery.py"
RESULTS = Path(__file__).resolve().parent / "results" / "page_weight.md"
VIEWPORT = {"width": 1280, "height": 900}
FRAMES = ("gallery-chart", "gallery-grid")

#: True once the board, the chart and the grid are connected and drawn.
READY = """() => {
  const open = !!(window.pywry && window.pywry.state === 'open');
  const chart = document.querySelector('[data-pywry-label="gallery-chart"]');
  const grid = document.querySelector('[data-pywry-label="gallery-grid"]');
  return open && !!chart && !!grid
    && !!chart.querySelector('.main-svg .bars, .main-svg .scatterlayer .trace')
    && grid.querySelectorAll('.tabulator-row').length > 0;
}"""


@dataclass
class Transfer:
    """One request of a page load."""

    url: str
    status: int = 0
    bytes: int = 0
    cached: bool = False
    finished: bool = False

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def hashed(self) -> bool:
        """An asset whose URL changes with its content (cacheable for good)."""
        return self.path.startswith("/pywry/assets/") or "/data?v=" in self.path


@dataclass
class Load:
    """What one page load fetched."""

    name: str
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.transfers)

    @property
    def from_cache(self) -> int:
        return sum(t.cached for t in self.transfers)

    @property
    def revalidated(self) -> int:
        return sum(t.status == 304 for t in self.transfers)

    def by_path(self) -> dict[str, list[Transfer]]:
        grouped: dict[str, list[Transfer]] = {}
        for transfer in self.transfers:
            grouped.setdefault(transfer.path, []).append(transfer)
        return grouped


class NetworkLog:
    """DevTools network events of one page."""

    def __init__(self, page: Any) -> None:
        self._session = page.context.new_cdp_session(page)
        self._current: dict[str, Transfer] = {}
        self._session.on("Network.requestWillBeSent", self._sent)
        self._session.on("Network.responseReceived", self._response)
        self._session.on("Network.requestServedFromCache", self._from_cache)
        self._session.on("Network.loadingFinished", self._finished)
        self._session.send("Network.enable")

    def start(self) -> None:
        self._current = {}

    def take(self, name: str) -> Load:
        return Load(name, [t for t in self._current.values() if t.url.startswith("http")])

    def _sent(self, event: dict[str, Any]) -> None:
        self._current[event["requestId"]] = Transfer(event["request"]["url"])

    def _response(self, event: dict[str, Any]) -> None:
        transfer = self._current.get(event["requestId"])
        if transfer is not None:
            response = event["response"]
            transfer.status = int(response.get("status", 0))
            if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
                transfer.cached = True

    def _from_cache(self, event: dict[str, Any]) -> None:
        transfer = self._current.get(event["requestId"])
        if transfer is not None:
            transfer.cached = True

    def _finished(self, event: dict[str, Any]) -> None:
        transfer = self._current.get(event["requestId"])
        if transfer is not None:
            transfer.finished = True
            transfer.bytes = 0 if transfer.cached else int(event["encodedDataLength"])


def wait_ready(page: Any, timeout_ms: int = 30000) -> None:
    """Wait until every widget of the gallery is connected and drawn, and the network idle."""
    page.wait_for_function(READY, timeout=timeout_ms)
    page.wait_for_load_state("networkidle", timeout=timeout_ms)


def measure(page: Any, url: str, log: NetworkLog | None = None) -> tuple[Load, Load]:
    """First load of ``url`` in ``page`` (whose context must be fresh), then a reload."""
    log = log or NetworkLog(page)
    log.start()
    page.goto(url)
    wait_ready(page)
    first = log.take("first load (cold cache)")
    log.start()
    page.reload()
    wait_ready(page)
    second = log.take("second load (reload, warm cache)")
    return first, second


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f} KiB"


def _count(transfers: list[Transfer]) -> str:
    return f"{len(transfers)} ({sum(t.cached for t in transfers)})" if transfers else "-"


def _sum(transfers: list[Transfer]) -> str:
    return f"{sum(t.bytes for t in transfers):,}" if transfers else "-"


def report(first: Load, second: Load, *, browser_version: str, source: str) -> str:
    """The results page (Markdown)."""
    today = dt.date.today().isoformat()
    lines = [
        "# Gallery page weight",
        "",
        f"{source}, {today}, Chromium {browser_version}, Python {platform.python_version()}, "
        f"viewport {VIEWPORT['width']}x{VIEWPORT['height']}, server on 127.0.0.1 "
        "(`examples/gallery.py`, memory backend).",
        "",
        "Bytes: Chromium's count of what crossed the network per request (DevTools "
        "`encodedDataLength`: headers plus the body as sent, gzip included); a response "
        "from the browser cache counts 0, a 304 its headers. WebSocket frames excluded.",
        "",
        "| load | requests | from cache | 304 | bytes transferred |",
        "|---|---:|---:|---:|---:|",
    ]
    for load in (first, second):
        lines.append(
            f"| {load.name} | {len(load.transfers)} | {load.from_cache} | "
            f"{load.revalidated} | {load.bytes:,} ({_kb(load.bytes)}) |"
        )
    lines += [
        "",
        "Per URL (`n (c)` is n requests of which c came from the cache):",
        "",
        "| URL | first: requests | first: bytes | second: requests | second: bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    again = second.by_path()
    for path, transfers in first.by_path().items():
        later = again.get(path, [])
        lines.append(
            f"| `{path}` | {_count(transfers)} | {_sum(transfers)} | "
            f"{_count(later)} | {_sum(later)} |"
        )
    return "\n".join(lines) + "\n"


def write_report(text: str, path: Path = RESULTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from browser import FLAGS, chromium_path  # type: ignore[import-not-found]
    from playwright.sync_api import sync_playwright
    from servers import start_server  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(GALLERY, Path(tmp), env={"PYWRY_SERVER__ACCESS_LOG": "false"})
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=chromium_path(), args=FLAGS, headless=True
                )
                context = browser.new_context(viewport=VIEWPORT)
                first, second = measure(context.new_page(), server.base_url + "/")
                text = report(
                    first,
                    second,
                    browser_version=browser.version,
                    source="`bench/bench_page_weight.py`",
                )
                browser.close()
        finally:
            server.stop()
    print(text)
    print(f"Wrote {write_report(text).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
