"""A small, fast WebSocket client (RFC 6455) and the PyWry browser protocol on top of it.

The load client must outrun the server, so it avoids a general-purpose WebSocket library:
``WebSocket`` is an ``asyncio.Protocol`` that does the opening handshake (with the
``Origin`` a page of that server sends), masks what it sends (as every client must) and
splits what it receives into text frames; it answers pings and ignores pongs.

``PyWrySession`` speaks ``docs/protocol.md`` as ``bridge.js`` does: ``hello`` with
``lastSeq``, ``welcome``, ``event`` frames with page-unique ids, ``ack``s, and ``seq``'d
events from the server (counted; a repeated ``seq`` is a duplicate). ``EchoSession``
sends the same frame to a bare echo server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
import uuid
from collections import deque
from typing import Any, cast
from urllib.parse import urlsplit

__all__ = ["EchoSession", "ProtocolViolation", "PyWrySession", "WebSocket", "connect"]

_OP_TEXT, _OP_CLOSE, _OP_PING, _OP_PONG = 0x1, 0x8, 0x9, 0xA
#: Seconds to wait for an answer: a server that changed what it sends fails, not hangs.
ANSWER_TIMEOUT = 60.0


class ProtocolViolation(RuntimeError):
    """The server answered something the protocol does not allow (or an error frame)."""


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    masked = int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")
    return masked.to_bytes(n, "little")


class WebSocket(asyncio.Protocol):
    """One client connection; ``recv()`` returns text frames in order."""

    def __init__(self, host: str, path: str) -> None:
        self._request_host = host
        self._path = path
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._open = False
        self._messages: deque[str] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes] = []
        self.closed: int | None = None  # close code once the server closed

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {self._path} HTTP/1.1\r\nHost: {self._request_host}\r\n"
            f"Origin: http://{self._request_host}\r\n"  # a page of this server, as browsers send
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self._transport.write(request.encode())

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._open:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[:end]).split(b"\r\n", 1)[0]
            del self._buffer[: end + 4]
            if b" 101 " not in status + b" ":
                if not self._handshake.done():  # (given up on by a timeout already)
                    self._handshake.set_exception(ProtocolViolation(f"handshake: {status!r}"))
                return
            self._open = True
            if not self._handshake.done():
                self._handshake.set_result(None)
        self._parse()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed is None:
            self.closed = 1006
        if not self._handshake.done():
            self._handshake.set_exception(ConnectionError("closed during the handshake"))
        self._wake()

    # frames
    def _parse(self) -> None:
        buf = self._buffer
        while len(buf) >= 2:
            first, second = buf[0], buf[1]
            length, offset = second & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, offset = struct.unpack_from("!H", buf, 2)[0], 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, offset = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            self._frame(first & 0x80, first & 0x0F, payload)

    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode in (_OP_TEXT, 0x0):
            self._fragments.append(payload)
            if fin:
                self._messages.append(b"".join(self._fragments).decode())
                self._fragments.clear()
                self._wake()
        elif opcode == _OP_PING:
            self._write(_OP_PONG, payload)
        elif opcode == _OP_CLOSE:
            self.closed = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            self._write(_OP_CLOSE, payload[:2])
            if self._transport is not None:
                self._transport.close()
            self._wake()
        elif opcode != _OP_PONG:
            raise ProtocolViolation(f"unexpected opcode {opcode:#x} (binary frames are not used)")

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _write(self, opcode: int, payload: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        key = os.urandom(4)
        self._transport.write(header + key + _mask(payload, key))

    # public
    def send(self, text: str) -> None:
        self._write(_OP_TEXT, text.encode())

    async def recv(self) -> str:
        """The next text frame; ``ProtocolViolation`` after ``ANSWER_TIMEOUT`` without one."""
        while not self._messages:
            if self.closed is not None:
                raise ConnectionError(f"socket closed ({self.closed})")
            loop = asyncio.get_running_loop()
            self._waiter = waiter = loop.create_future()
            timer = loop.call_later(ANSWER_TIMEOUT, self._give_up, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
        return self._messages.popleft()

    @staticmethod
    def _give_up(waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            message = f"no frame from the server within {ANSWER_TIMEOUT:g} s"
            waiter.set_exception(ProtocolViolation(message))

    async def close(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._write(_OP_CLOSE, struct.pack("!H", 1000))
            self._transport.close()


async def connect(url: str) -> WebSocket:
    """Open ``ws://host:port/path`` and finish the handshake."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"expected ws://host:port/path, got {url!r}")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(
        lambda: WebSocket(parts.netloc, path), parts.hostname, parts.port
    )
    try:
        await asyncio.wait_for(protocol._handshake, 10)
    except BaseException:  # refused (a 503 while the backend is away), timed out, cancelled
        transport.close()  # not left for the garbage collector to find open
        raise
    return protocol


class PyWrySession:
    """One page's socket to a widget: ``hello`` / ``welcome``, then event round trips."""

    def __init__(self, ws: WebSocket, client_id: str) -> None:
        self.ws = ws
        self.client_id = client_id
        self.welcome: dict[str, Any] = {}
        self.last_seq: int | None = None
        self.duplicates = 0
        self._n = 0

    @classmethod
    async def open(cls, ws_base: str, label: str, *, last_seq: int | None = None) -> PyWrySession:
        client_id = "bench" + uuid.uuid4().hex[:12]
        ws = await connect(f"{ws_base}/widget/{label}/ws?client={client_id}")
        session = cls(ws, client_id)
        ws.send(json.dumps({"type": "hello", "lastSeq": last_seq}))
        while True:
            message = session._check(await ws.recv())
            if message["type"] == "welcome":
                session.welcome = message
                session.last_seq = message.get("seq")
                return session

    def _check(self, text: str) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(text)
        kind = message.get("type")
        if kind == "error":
            raise ProtocolViolation(f"server error frame: {message}")
        seq = message.get("seq") if kind == "event" else None
        if isinstance(seq, int):
            if self.last_seq is not None and seq <= self.last_seq:
                self.duplicates += 1
            self.last_seq = seq
        return message

    async def round_trip(self, event: str, answer: str) -> float:
        """Send ``event``; return seconds until the ``answer`` event carrying its tag arrives.

        The frame is also acknowledged (``ack`` with status ``ok``) before this returns.
        """
        self._n += 1
        frame_id = f"{self.client_id}-{self._n}"
        start = time.perf_counter()
        self.ws.send(
            json.dumps({"type": "event", "id": frame_id, "event": event, "data": {"tag": frame_id}})
        )
        elapsed: float | None = None
        acked = False
        while elapsed is None or not acked:
            if time.perf_counter() - start > ANSWER_TIMEOUT:  # other frames, never the answer
                raise ProtocolViolation(f"no ack and {answer!r} for {frame_id} in time")
            text = await self.ws.recv()
            message = self._check(text)
            kind = message["type"]
            if kind == "ack" and message.get("id") == frame_id:
                if message.get("status") != "ok":
                    raise ProtocolViolation(f"ack status {message.get('status')!r}")
                acked = True
            elif kind == "event" and message.get("event") == answer and frame_id in text:
                elapsed = time.perf_counter() - start
        return elapsed

    async def close(self) -> None:
        await self.ws.close()


class EchoSession:
    """The baseline: the same event frame sent to a bare echo endpoint, answered by itself."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.duplicates = 0
        self._n = 0
        self._tag = "bench" + uuid.uuid4().hex[:12]

    @classmethod
    async def open(cls, ws_base: str) -> EchoSession:
        return cls(await connect(f"{ws_base}/ws"))

    async def round_trip(self, event: str, answer: str) -> float:
        self._n += 1
        frame_id = f"{self._tag}-{self._n}"
        start = time.perf_counter()
        text = json.dumps(
            {"type": "event", "id": frame_id, "event": event, "data": {"tag": frame_id}}
        )
        self.ws.send(text)
        while True:
            if frame_id in await self.ws.recv():
                return time.perf_counter() - start

    async def close(self) -> None:
        await self.ws.close()
