"""Gzip for HTTP responses, each distinct body compressed once.

Pages change only when their widget does, yet every load would compress the same few
kilobytes again; here a whole body (one ``http.response.body`` message) is looked up
in a small cache of recent bodies first, so a page costs one compression per version
rather than one per request. Which answers are compressed, and how streamed ones are:
``answer.py``.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict

__all__ = ["GzipCache", "accepts_gzip"]

#: Whole bodies kept compressed (least recently used dropped first).
CACHE_ENTRIES = 128
#: Bodies above this size are compressed every time rather than cached.
CACHE_MAX_BODY = 256 * 1024


class GzipCache:
    """Compressed copies of recent bodies, bounded in count and body size."""

    def __init__(self, entries: int = CACHE_ENTRIES, max_body: int = CACHE_MAX_BODY) -> None:
        self._entries = entries
        self._max_body = max_body
        self._items: OrderedDict[bytes, bytes] = OrderedDict()

    def compress(self, body: bytes) -> bytes:
        if len(body) > self._max_body:
            return gzip.compress(body, compresslevel=6, mtime=0)
        compressed = self._items.get(body)
        if compressed is None:
            compressed = gzip.compress(body, compresslevel=9, mtime=0)
            self._items[body] = compressed
            if len(self._items) > self._entries:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(body)
        return compressed


def accepts_gzip(accept_encoding: bytes) -> bool:
    """Whether a request's ``Accept-Encoding`` (or ``b""``) takes gzip."""
    return b"gzip" in accept_encoding
