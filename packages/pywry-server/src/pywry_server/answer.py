"""One HTTP answer on its way out of the edge: its start decorated, its body gzipped.

The answer's start is rewritten once, in one pass over its headers: the request id,
the anonymous session's cookie (on HTML, or when the handler used the session), the
security headers of ``headers.py`` and, for a client that takes gzip and a body worth
compressing, ``Content-Encoding``, ``Vary`` and the new ``Content-Length``.

Gzip follows Starlette's ``GZipMiddleware``, which it replaces: only bodies of at least
``minimum_size`` bytes, never a response that already has a ``Content-Encoding``, is an
event stream or an attachment (downloads stream as they are, with their
``Content-Length``). A whole body comes from the cache of compressed bodies
(``compression.py``); a streamed one is compressed as it goes, uncached. While a start
waits for its first body (to know whether to compress it) nothing is sent.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from pywry_server.viewers import anonymous_cookie

if TYPE_CHECKING:
    from pywry.access import RequestSession
    from starlette.types import Message, Send

    from pywry_server.compression import GzipCache
    from pywry_server.headers import SecurityHeaders

__all__ = ["Answer"]

_HTML = b"text/html"
_EVENT_STREAM = b"text/event-stream"
_ATTACHMENT = b"attachment"
_ACCEPT_ENCODING = b"accept-encoding"
#: Headers of the app's start that the answer sets itself (when it compresses, the
#: last two as well).
_OURS = frozenset({b"x-request-id"})
_OURS_GZIPPED = frozenset({b"x-request-id", b"content-length", b"vary"})


class Answer:
    """One request's answer (``edge.py`` makes one per request)."""

    __slots__ = (
        "_compressor",
        "_gzip",
        "_held",
        "_https",
        "_minimum",
        "_request_id",
        "_security",
        "_send",
        "new_session",
    )

    def __init__(
        self,
        send: Send,
        *,
        request_id: str,
        https: bool,
        security: SecurityHeaders,
        gzip: GzipCache | None,
        minimum_size: int,
    ) -> None:
        self._send = send
        self._request_id = request_id.encode("latin-1")
        self._https = https
        self._security = security
        self._gzip = gzip  # None: the client does not take gzip
        self._minimum = minimum_size
        self._held: Message | None = None
        self._compressor: zlib._Compress | None = None
        #: The anonymous session the edge started for this request, if it did.
        self.new_session: RequestSession | None = None

    async def whole(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Send a whole answer of 200 whose headers are final but for the edge's own."""
        start = {"type": "http.response.start", "status": 200, "headers": headers}
        await self._send(self._decorated(start, None))
        await self._send({"type": "http.response.body", "body": body})

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self._gzip is None:
                message = self._decorated(message, None)
            else:  # the first body says whether to compress
                self._held = message
                return
        elif kind == "http.response.body":
            held = self._held
            if held is not None:
                self._held = None
                message = await self._first_body(held, message)
            elif self._compressor is not None:
                message = self._compressed(message)
        await self._send(message)

    async def _first_body(self, start: Message, message: Message) -> Message:
        """Send ``start`` decorated; ``message`` as it must follow it."""
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        compress = more or len(body) >= self._minimum
        for name, value in start.get("headers", ()):
            low = name.lower()
            if (
                low == b"content-encoding"
                or (low == b"content-type" and value.startswith(_EVENT_STREAM))
                or (low == b"content-disposition" and value.lower().startswith(_ATTACHMENT))
            ):
                compress = False
                break
        if not compress:
            await self._send(self._decorated(start, None))
            return message
        if more:
            self._compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
            await self._send(self._decorated(start, -1))
            return self._compressed(message)
        assert self._gzip is not None
        compressed = self._gzip.compress(body)
        await self._send(self._decorated(start, len(compressed)))
        return {"type": "http.response.body", "body": compressed}

    def _compressed(self, message: Message) -> Message:
        compressor = self._compressor
        assert compressor is not None
        more = bool(message.get("more_body", False))
        chunk = compressor.compress(message.get("body", b""))
        chunk += compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
        return {"type": "http.response.body", "body": chunk, "more_body": more}

    def _decorated(self, start: Message, gzipped: int | None) -> Message:
        """``start`` with the edge's headers; ``gzipped``: the compressed length, ``-1``
        while streaming, ``None`` when not compressed."""
        drop = _OURS if gzipped is None else _OURS_GZIPPED
        headers: list[tuple[bytes, bytes]] = []
        present: set[bytes] = set()
        vary = b""
        html = False
        for name, value in start.get("headers", ()):
            low = name.lower()
            present.add(low)
            if low == b"content-type":
                html = value.lower().startswith(_HTML)
            elif low in drop:
                if low == b"vary":
                    vary = value
                continue
            headers.append((name, value))
        if gzipped is not None:
            headers.append((b"content-encoding", b"gzip"))
            if _ACCEPT_ENCODING not in vary.lower():
                vary = vary + b", Accept-Encoding" if vary else b"Accept-Encoding"
            headers.append((b"vary", vary))
            if gzipped >= 0:
                headers.append((b"content-length", b"%d" % gzipped))
        headers.append((b"x-request-id", self._request_id))
        session = self.new_session
        if session is not None and session.session_id and (html or session.used):
            cookie = anonymous_cookie(session.session_id, secure=self._https)
            headers.append((b"set-cookie", cookie))
        self._security.add(headers, html=html, https=self._https, present=present)
        return {**start, "headers": headers}
