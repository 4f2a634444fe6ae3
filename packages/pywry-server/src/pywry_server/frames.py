"""What a socket sends and reads: frames encoded once, the log it follows, where it starts.

Leaves of :mod:`pywry_server.connection` (which re-exports them), shared with the
listener (:class:`Envelope`) and the replay planner (:class:`StreamStart`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Envelope", "EventLog", "Message", "StreamStart"]

Message = dict[str, Any]


class EventLog(Protocol):
    """The part of :class:`pywry.state.base.EventBus` a connection reads."""

    async def since(self, widget_id: str, after_seq: int) -> list[Message]: ...

    async def last_seq(self, widget_id: str) -> int: ...


class Envelope:
    """A frame to send, JSON-encoded at most once however many sockets send it."""

    __slots__ = ("_text", "message")

    def __init__(self, message: Message) -> None:
        self.message = message
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = json.dumps(self.message, separators=(",", ":"))
        return self._text


@dataclass(frozen=True, slots=True)
class StreamStart:
    """Where a stream starts for this socket: what the page has, what it missed."""

    #: The number the page already has (its ``lastSeq``, the ``welcome`` number, or 0).
    baseline: int
    missed: list[Message] = field(default_factory=list)
    #: Tell the page its log restarted before sending ``missed``.
    reset: bool = False
