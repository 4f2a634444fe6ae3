"""What a socket's writer sends: frames encoded once, in a bounded mailbox."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any, Generic, TypeVar

__all__ = ["Envelope", "Mailbox", "MailboxFull"]

T = TypeVar("T")
Message = dict[str, Any]


class Envelope:
    """A frame to send, JSON-encoded at most once however many sockets send it.

    ``number`` is its place in its stream (the message's ``key``: ``seq`` or ``vseq``),
    0 for a frame that is not logged.
    """

    __slots__ = ("_text", "key", "message", "number")

    def __init__(self, message: Message, key: str = "seq") -> None:
        self.message = message
        self.key = key
        self.number = int(message.get(key) or 0)
        self._text: str | None = None

    def on_stream(self, key: str) -> Envelope:
        """This frame as a stream numbered by ``key`` sends it: logs number entries
        ``seq``, so an entry of the viewer's log goes out with ``vseq`` instead."""
        if key == "seq" or key in self.message:
            return self
        message = {k: v for k, v in self.message.items() if k != "seq"}
        message[key] = self.message.get("seq")
        return Envelope(message, key)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = json.dumps(self.message, separators=(",", ":"))
        return self._text


class MailboxFull(Exception):
    """A mailbox already holds ``maxsize`` items."""


class Mailbox(Generic[T]):
    """The socket's bounded queue: items in order, one waiting reader (the writer).

    Lighter than :class:`asyncio.Queue` (a deque and at most one future), since every
    frame to every socket passes through one; and its deque (some 760 bytes) exists
    only while items wait, since most sockets are idle most of the time.
    """

    __slots__ = ("_items", "_waiter", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: deque[T] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return 0 if self._items is None else len(self._items)

    def put(self, item: T) -> None:
        """Add ``item``; raises :class:`MailboxFull` when ``maxsize`` items wait."""
        if len(self) >= self.maxsize:
            raise MailboxFull
        self._put(item)

    def replace_all(self, item: T) -> None:
        """Drop every waiting item and leave ``item`` alone (never full)."""
        self._items = None
        self._put(item)

    def _put(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> T:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = self._items
        item = items.popleft()
        if not items:
            self._items = None
        return item
