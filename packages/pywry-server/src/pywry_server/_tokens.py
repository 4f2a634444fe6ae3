"""Random ids for every request and socket, from the OS's random source a page at a time.

Each request gets a request id and, from a browser without one, an anonymous session
id; each socket a connection id, each page load a viewer id. ``secrets.token_*`` asks
the kernel for each (a system call apiece). Here the kernel's bytes are read 4 KiB at a time and
handed out in slices, never twice: the ids are exactly as unpredictable as
``secrets``' own. A forked child starts with an empty page, so parent and child never
share bytes.
"""

from __future__ import annotations

import base64
import os
import threading

__all__ = ["token_hex", "token_urlsafe"]

_PAGE = 4096


class _RandomPages:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._page = b""
        self._used = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._page, self._used = b"", 0

    def take(self, size: int) -> bytes:
        with self._lock:
            start = self._used
            if start + size > len(self._page):
                self._page, start = os.urandom(max(_PAGE, size)), 0
            self._used = start + size
            return self._page[start : start + size]


_pages = _RandomPages()


def token_hex(size: int) -> str:
    """``size`` random bytes as hex (like :func:`secrets.token_hex`)."""
    return _pages.take(size).hex()


def token_urlsafe(size: int) -> str:
    """``size`` random bytes, URL-safe base64 without padding (like
    :func:`secrets.token_urlsafe`)."""
    return base64.urlsafe_b64encode(_pages.take(size)).rstrip(b"=").decode("ascii")
