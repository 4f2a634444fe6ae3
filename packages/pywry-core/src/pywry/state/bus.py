"""The event bus role: messages between workers, replay logs and once-only claims.

Re-exported by :mod:`pywry.state.base`, beside the other roles.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

from pywry.errors import BackendUnavailableError
from pywry.state._checks import check_id, check_ttl
from pywry.state.subscription import Message, Subscription

__all__ = ["Announce", "EventBus"]

logger = logging.getLogger("pywry.state")


@dataclass(frozen=True, slots=True)
class Announce:
    """Publish an appended entry on ``channel``, inside ``wrapper`` under ``field``.

    What subscribers get is ``{**wrapper, field: entry}``, the entry being the stored
    message with its ``seq``: so the publisher need not wait for the number before it
    can publish.
    """

    channel: str
    wrapper: Message
    field: str = "message"

    def around_entry(self) -> tuple[str, str]:
        """The JSON text before and after the entry in the published message."""
        rest = {key: value for key, value in self.wrapper.items() if key != self.field}
        text = json.dumps({**rest, self.field: None}, separators=(",", ":"))
        return text[: -len("null}")], "}"


class EventBus(ABC):
    """Messages between workers, a replay log per widget, and once-only claims."""

    async def publish(self, channel: str, message: Message) -> None:
        """Send ``message`` (JSON-serialisable) to every current subscriber of ``channel``."""
        check_id("channel", channel)
        await self._publish(channel, json.dumps(message, separators=(",", ":")))

    async def subscribe(self, *channels: str) -> Subscription:
        """Start receiving ``channels``; messages published after this returns arrive."""
        if not channels:
            raise ValueError("subscribe() needs at least one channel")
        for channel in channels:
            check_id("channel", channel)
        return await self._subscribe(list(channels))

    async def append(
        self,
        widget_id: str,
        message: Message,
        *,
        maxlen: int,
        ttl: float,
        announce: Announce | None = None,
        key: str | None = None,
    ) -> int:
        """Append to ``widget_id``'s replay log and return its sequence number.

        A new log's first number is the clock at its creation in microseconds
        (:func:`~pywry.state.numbering.first_seq`), and each append adds one, across
        workers: so a log lost and created again numbers above every entry of the one
        before. The log keeps the newest ``maxlen`` entries and expires ``ttl`` seconds
        after the last append. The stored entry is ``message`` with ``"seq"`` added.

        With ``announce``, the stored entry is also published (see :class:`Announce`),
        in the same round trip where the backend can. A publish that fails after the
        entry was stored does not raise: the entry is logged, and readers catch up
        from the log.

        With ``key`` (an idempotency key, one per logical append), an append whose key
        is already in the log returns that entry's seq and stores and publishes
        nothing: so a caller may retry an append whose answer it never got (the
        backend went away mid-call) without logging the message twice. A key is
        remembered as long as its entry is in the log (``maxlen`` and ``ttl``).
        """
        check_id("widget_id", widget_id)
        check_ttl(ttl)
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen!r}")
        if key is not None:
            check_id("key", key)
        if announce is None:
            return await self._append(widget_id, message, maxlen, ttl, key)
        check_id("channel", announce.channel)
        before, after = announce.around_entry()
        return await self._append_announced(
            widget_id, message, maxlen, ttl, key, announce.channel, before, after
        )

    async def since(self, widget_id: str, after_seq: int) -> list[Message]:
        """Logged entries of ``widget_id`` with ``seq > after_seq``, oldest first."""
        return [json.loads(raw) for raw in await self._since(widget_id, after_seq)]

    async def last_seq(self, widget_id: str) -> int:
        """The newest sequence number of ``widget_id``'s log (0 if none)."""
        return await self._last_seq(widget_id)

    async def claim(self, key: str, *, ttl: float) -> bool:
        """``True`` for the first caller (in any process) to claim ``key`` within ``ttl``."""
        check_id("key", key)
        check_ttl(ttl)
        return await self._claim(key, ttl)

    @abstractmethod
    async def _publish(self, channel: str, text: str) -> None: ...

    @abstractmethod
    async def _subscribe(self, channels: list[str]) -> Subscription: ...

    @abstractmethod
    async def _append(
        self, widget_id: str, message: Message, maxlen: int, ttl: float, key: str | None
    ) -> int:
        """Assign the next seq atomically, store ``{**message, "seq": seq}`` as JSON.

        The next seq is the log's newest plus one; a log that does not exist (never
        created, expired, lost) starts at :func:`~pywry.state.numbering.first_seq`.

        With ``key``: first, in the same atomic step, return the seq of the entry
        still logged under ``key`` if there is one (and store nothing).
        """

    async def _append_announced(
        self,
        widget_id: str,
        message: Message,
        maxlen: int,
        ttl: float,
        key: str | None,
        channel: str,
        before: str,
        after: str,
    ) -> int:
        """:meth:`_append`, then publish ``before + entry + after`` on ``channel``.

        A backend that can do both in one round trip overrides this (Redis: one script).
        An append found by its key publishes again: the first call may have stored the
        entry and failed before its publish.
        """
        seq = await self._append(widget_id, message, maxlen, ttl, key)
        entry = json.dumps({**message, "seq": seq}, separators=(",", ":"))
        try:
            await self._publish(channel, before + entry + after)
        except BackendUnavailableError as exc:
            logger.info(
                "Entry %d of %r logged, bus down (%s): readers catch up", seq, widget_id, exc
            )
        return seq

    @abstractmethod
    async def _since(self, widget_id: str, after_seq: int) -> list[str]: ...

    @abstractmethod
    async def _last_seq(self, widget_id: str) -> int: ...

    @abstractmethod
    async def _claim(self, key: str, ttl: float) -> bool: ...
