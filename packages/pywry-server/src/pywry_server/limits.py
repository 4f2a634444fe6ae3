"""Limits on what one client can make a worker do: nesting, event rate, sockets, log text.

Each limit, its setting and what it protects is listed in ``docs/security.md``
("Limits"). This module is a leaf: it imports nothing of the server.

- :func:`nesting_exceeds`: the JSON depth of a frame, measured on its text *before*
  it is decoded, so a frame nested 100,000 levels is refused without recursion.
- :class:`EventRate`: a token bucket per socket (``PYWRY_SERVER__EVENT_RATE`` events
  per second, ``PYWRY_SERVER__EVENT_BURST`` at once).
- :class:`SocketLimit`: ASGI middleware that refuses a WebSocket handshake with 503
  once the worker holds ``PYWRY_SERVER__LIMIT_CONCURRENCY`` sockets (uvicorn applies
  that limit to HTTP requests only: its WebSocket upgrades skip the check).
- :func:`clip`: client-supplied text made safe and short for a log line;
  :func:`quiet_client_tracebacks` keeps uvicorn's report of a client's invalid UTF-8
  to one line (it logs a full traceback per frame otherwise).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pywry._clip import LOG_TEXT_LIMIT, clip

__all__ = [
    "LOG_TEXT_LIMIT",
    "MAX_JSON_DEPTH",
    "EventRate",
    "SocketLimit",
    "clip",
    "nesting_exceeds",
    "quiet_client_tracebacks",
]

#: Deepest nesting of arrays and objects in one inbound frame (the frame object is 1).
MAX_JSON_DEPTH = 32

_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SQUARE = str.maketrans("{}", "[]")


def nesting_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` deep.

    Linear in ``len(text)`` and done in C-speed string operations: escapes are dropped,
    the text outside string literals is reduced to its brackets, and innermost ``[]``
    pairs are peeled one layer per pass (at most ``limit`` passes). Text that is not
    valid JSON answers conservatively: ``True`` only if a decoder could descend deeper
    than ``limit`` before noticing the error, so the caller may decode it safely when
    ``False`` (and get the decoder's own error message).
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    # Outside string literals valid JSON has no backslash; inside, drop every escape
    # so that each remaining quote opens or closes a string.
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[0::2])
    brackets = _NOT_BRACKET.sub("", outside).translate(_SQUARE)
    passes = 0
    while brackets and passes < limit:
        peeled = brackets.replace("[]", "")
        if peeled == brackets:  # unbalanced: only unmatched brackets are left
            break
        brackets, passes = peeled, passes + 1
    if "[]" in brackets:  # a pair remains after ``limit`` layers were peeled
        return True
    return passes + brackets.count("[") > limit


class EventRate:
    """A token bucket: up to ``burst`` events at once, refilled at ``rate`` per second."""

    __slots__ = ("_clock", "_stamp", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"EventRate needs rate > 0 and burst >= 1, got {rate=} {burst=}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> float:
        """Spend one token: ``0.0`` if the event may run, else seconds until one is back."""
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SocketLimit:
    """ASGI middleware: at most ``max_sockets`` WebSockets open at once in this worker.

    A handshake over the limit is answered ``503 Service Unavailable`` (with a
    ``Retry-After``), the status uvicorn gives HTTP requests over
    ``limit_concurrency``; a server without the ASGI denial-response extension
    closes the socket with 1013 (try again later) instead. ``None``: no limit.
    """

    def __init__(self, app: ASGIApp, max_sockets: int | None = None) -> None:
        self.app = app
        self.max_sockets = max_sockets
        self.open = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or self.max_sockets is None:
            await self.app(scope, receive, send)
            return
        if self.open >= self.max_sockets:
            await _deny(scope, receive, send, self.max_sockets)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1


async def _deny(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    message = await receive()  # websocket.connect
    if message.get("type") != "websocket.connect":
        return
    body = f"This worker already holds {limit} WebSockets; retry later".encode()
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", b"5"),
        ]
        await send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1013, "reason": "too many sockets"})


class _OneLineClientErrors(logging.Filter):
    """Drop the traceback of uvicorn's "Invalid UTF-8 sequence received from client."."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Invalid UTF-8 sequence"):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_client_tracebacks() -> None:
    """Keep a client's bad bytes from writing a traceback into the log (idempotent).

    uvicorn closes such a socket correctly (1007) but logs the decoding error with
    its traceback: about ten lines per frame a client chooses to send.
    """
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _OneLineClientErrors) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_OneLineClientErrors())
