"""What the attack tests speak: the browser protocol, raw WebSocket frames, a bystander."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

LABEL = "board"
#: Server log lines that mean an exception escaped the server's own handling.
UNHANDLED = re.compile(r"Traceback|Exception in ASGI|RecursionError|Task exception was never")


def ws_url(base_url: str, client: str, label: str = LABEL) -> str:
    return base_url.replace("http://", "ws://") + f"/widget/{label}/ws?client={client}"


async def open_socket(url: str, **options: Any) -> ClientConnection:
    """A client socket; no compression unless asked, large replies allowed."""
    options.setdefault("compression", None)
    options.setdefault("max_size", 2**24)
    options.setdefault("ping_interval", None)
    return await connect(url, open_timeout=20, **options)


async def say_hello(ws: ClientConnection) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "hello", "lastSeq": None}))
    return await next_of(ws, "welcome")


async def next_of(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type ``kind`` (others are skipped); 20 s at most."""
    async with asyncio.timeout(20):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return frame


def unhandled_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if UNHANDLED.search(line)]


def rss_kib(pid: int) -> int:
    """Resident memory of process ``pid`` in KiB (``VmRSS`` of /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


# -- raw frames ------------------------------------------------------------------
OP_TEXT, OP_BINARY, OP_CLOSE = 0x1, 0x2, 0x8


def client_frame(opcode: int, payload: bytes, *, rsv1: bool = False, fin: bool = True) -> bytes:
    """One masked client-to-server frame (RFC 6455 section 5.2)."""
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", size)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", size)
    mask = os.urandom(4)
    body = (
        bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if size < 4096
        else _mask(payload, mask)
    )
    return head + mask + body


def _mask(payload: bytes, mask: bytes) -> bytes:
    whole = mask * (len(payload) // 4 + 1)
    number = int.from_bytes(payload, "big") ^ int.from_bytes(whole[: len(payload)], "big")
    return number.to_bytes(len(payload), "big")


class RawSocket:
    """A WebSocket spoken by hand: any frame can be sent; reading is up to the test."""

    def __init__(
        self, base_url: str, client: str, *, rcvbuf: int | None = None, label: str = LABEL
    ) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        if rcvbuf is not None:  # before connect, so the TCP window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(20)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /widget/{label}/ws?client={client} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(1)
            if not chunk:
                raise AssertionError(f"handshake ended early: {response!r}")
            response += chunk
        self.response = response.decode("latin-1")
        if " 101 " not in self.response.split("\r\n", 1)[0]:
            raise AssertionError(f"handshake refused: {self.response!r}")

    @property
    def deflate(self) -> bool:
        return "permessage-deflate" in self.response.lower()

    def send(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> None:
        self.sock.sendall(client_frame(opcode, payload, rsv1=rsv1))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(OP_TEXT, json.dumps(message).encode())

    def read_json(self) -> dict[str, Any]:
        """The next frame the server sent, read byte by byte (nothing more is consumed)."""
        buffer = b""
        while (parsed := _server_frame(buffer)) is None:
            chunk = self.sock.recv(1)
            if not chunk:
                raise AssertionError("the server ended the socket")
            buffer += chunk
        return dict(json.loads(parsed[1]))

    def close_code(self, timeout: float = 30.0) -> int | None:
        """Read until the server's close frame (its code) or EOF (``None``)."""
        self.sock.settimeout(timeout)
        buffer = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while True:
                parsed = _server_frame(buffer)
                if parsed is None:
                    break
                opcode, payload, buffer = parsed
                if opcode == OP_CLOSE:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionResetError:
                return None
            except TimeoutError:
                continue
            if not chunk:
                return None
            buffer += chunk
        raise AssertionError("the server neither closed nor ended the socket")

    def close(self) -> None:
        self.sock.close()


def _server_frame(buffer: bytes) -> tuple[int, bytes, bytes] | None:
    """``(opcode, payload, rest)`` of the first whole unmasked frame in ``buffer``."""
    if len(buffer) < 2:
        return None
    size, start = buffer[1] & 0x7F, 2
    if size == 126:
        if len(buffer) < 4:
            return None
        size, start = struct.unpack("!H", buffer[2:4])[0], 4
    elif size == 127:
        if len(buffer) < 10:
            return None
        size, start = struct.unpack("!Q", buffer[2:10])[0], 10
    if len(buffer) < start + size:
        return None
    return buffer[0] & 0x0F, buffer[start : start + size], buffer[start + size :]


# -- a bystander -----------------------------------------------------------------
@dataclass
class Bystander:
    """A viewer doing ``app:ping`` -> ``app:pong`` round trips, one at a time."""

    url: str
    timeout: float = 30.0
    delays: list[float] = field(default_factory=list)
    lost: int = 0

    async def run(self, stop: asyncio.Event, pause: float = 0.02) -> None:
        ws = await open_socket(self.url)
        try:
            await say_hello(ws)
            n = 0
            while not stop.is_set():
                n += 1
                started = time.monotonic()
                await ws.send(
                    json.dumps(
                        {"type": "event", "id": f"b-{n}", "event": "app:ping", "data": {"n": n}}
                    )
                )
                try:
                    await self._pong(ws, n)
                except TimeoutError:
                    self.lost += 1
                    continue
                self.delays.append(time.monotonic() - started)
                await asyncio.sleep(pause)
        finally:
            await ws.close()

    async def _pong(self, ws: ClientConnection, n: int) -> None:
        async with asyncio.timeout(self.timeout):
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("event") == "app:pong" and frame["data"].get("n") == n:
                    return
                if frame.get("type") == "error" and frame.get("id") == f"b-{n}":
                    raise AssertionError(f"the bystander's event was refused: {frame}")

    def start_in_thread(self) -> Callable[[], Awaitable[None]]:
        """Run on an event loop of its own (the attackers' loop cannot delay it).

        Returns ``finish``: awaiting it ends the round trips, waits for the thread and
        raises what the bystander raised.
        """
        ready = threading.Event()
        state: dict[str, Any] = {}

        async def main() -> None:
            state["loop"], state["stop"] = asyncio.get_running_loop(), asyncio.Event()
            ready.set()
            try:
                await self.run(state["stop"])
            except BaseException as exc:
                state["error"] = exc

        thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
        thread.start()
        ready.wait(10)

        async def finish() -> None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                state["loop"].call_soon_threadsafe(state["stop"].set)
            await asyncio.to_thread(thread.join, 60)
            if "error" in state:
                raise state["error"]

        return finish

    @property
    def worst(self) -> float:
        return max(self.delays, default=float("inf"))
