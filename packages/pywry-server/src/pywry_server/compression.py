"""Gzip for HTTP responses, each distinct body compressed once.

Pages change only when their widget does, yet every load would compress the same few
kilobytes again; here a whole body (one ``http.response.body`` message) is looked up
in a small cache of recent bodies first, so a page costs one compression per version
rather than one per request. Streamed bodies are compressed as they go, uncached.

Like Starlette's ``GZipMiddleware``, which it replaces: only for clients that send
``Accept-Encoding: gzip``, only bodies of at least ``minimum_size`` bytes, never a
response that already has a ``Content-Encoding``, is an event stream or an attachment
(downloads stream as they are, with their ``Content-Length``).
"""

from __future__ import annotations

import gzip
import zlib
from collections import OrderedDict

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Send

__all__ = ["GzipCache", "GzipResponder", "accepts_gzip"]

#: Whole bodies kept compressed (least recently used dropped first).
CACHE_ENTRIES = 128
#: Bodies above this size are compressed every time rather than cached.
CACHE_MAX_BODY = 256 * 1024
_NOT_COMPRESSED = ("text/event-stream",)


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


class GzipResponder:
    """One response to a client that takes gzip: holds its start until the first body
    says whether to compress (``edge.py`` makes one per such request)."""

    __slots__ = ("_cache", "_compressor", "_minimum", "_passing", "_send", "_start")

    def __init__(self, cache: GzipCache, send: Send, *, minimum_size: int = 1024) -> None:
        self._cache = cache
        self._send = send
        self._minimum = minimum_size
        self._start: Message | None = None
        self._passing = False
        self._compressor: zlib._Compress | None = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._start = message
            return
        if kind != "http.response.body" or self._passing:
            await self._send(message)
            return
        if self._compressor is not None:
            await self._stream(message)
            return
        start = self._start
        if start is None:  # a body before its start: not ours to judge
            await self._send(message)
            return
        self._start = None
        headers = MutableHeaders(raw=list(start["headers"]))
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if not self._worth_compressing(headers, body, more):
            self._passing = True
            await self._send(start)
            await self._send(message)
            return
        headers["Content-Encoding"] = "gzip"
        headers.add_vary_header("Accept-Encoding")
        if more:
            del headers["Content-Length"]
            self._compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
            await self._send({**start, "headers": headers.raw})
            await self._stream(message)
            return
        compressed = self._cache.compress(body)
        headers["Content-Length"] = str(len(compressed))
        await self._send({**start, "headers": headers.raw})
        await self._send({"type": "http.response.body", "body": compressed})

    def _worth_compressing(self, headers: Headers, body: bytes, more: bool) -> bool:
        if "content-encoding" in headers:
            return False
        if headers.get("content-type", "").startswith(_NOT_COMPRESSED):
            return False
        if headers.get("content-disposition", "").lower().startswith("attachment"):
            return False
        return more or len(body) >= self._minimum

    async def _stream(self, message: Message) -> None:
        compressor = self._compressor
        assert compressor is not None
        more = bool(message.get("more_body", False))
        chunk = compressor.compress(message.get("body", b""))
        chunk += compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
        await self._send({"type": "http.response.body", "body": chunk, "more_body": more})
