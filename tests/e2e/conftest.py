"""Fixtures for browser tests: a fresh page that records every request it makes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


class RecordedPage:
    """A Playwright page plus the URL of every request it made."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[str] = []
        self.websockets: list[str] = []
        page.on("request", lambda req: self.requests.append(req.url))
        page.on("websocket", lambda ws: self.websockets.append(ws.url))
        page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))

    def off_server(self, base_url: str) -> list[str]:
        """Requests that went anywhere but ``base_url`` (blob: downloads excepted)."""
        return [
            url for url in self.requests if not url.startswith((base_url + "/", "blob:", "data:"))
        ]

    def sockets(self) -> list[str]:
        """The URL of every WebSocket the page opened."""
        return list(self.websockets)

    def wait_connected(self, timeout_ms: int = 15000) -> None:
        self.page.wait_for_function(
            "() => window.pywry && window.pywry.state === 'open'", timeout=timeout_ms
        )


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make() -> RecordedPage:
        context = browser.new_context(accept_downloads=True)
        contexts.append(context)
        return RecordedPage(context.new_page())

    yield make
    for context in contexts:
        context.close()
