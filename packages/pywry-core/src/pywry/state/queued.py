"""A ready-made :class:`~pywry.state.base.Subscription` fed through an asyncio queue.

Backends whose bus delivers messages from code they run themselves (the memory
backend's ``publish``, the SQLite backend's poller) hand each message to
:meth:`QueueSubscription.put`; the subscriber's ``async for`` reads them in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from pywry.state.base import Subscription

__all__ = ["QUEUE_LIMIT", "QueueSubscription"]

logger = logging.getLogger("pywry.state")
#: Messages a subscription holds before it drops the oldest (a subscriber that stopped
#: reading must not grow the process without bound; the server's upkeep re-reads
#: logged events a dropped message carried).
QUEUE_LIMIT = 10_000


class QueueSubscription(Subscription):
    """Messages for ``channels``, put here by the backend, read by ``async for``.

    ``on_close`` runs once when the subscriber calls :meth:`aclose` (to unregister
    it from the backend); :meth:`end` ends it from the backend's side.
    """

    def __init__(
        self,
        channels: Iterable[str],
        on_close: Callable[[QueueSubscription], None] | None = None,
    ) -> None:
        self.channels = frozenset(channels)
        self._queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue(QUEUE_LIMIT)
        self._on_close = on_close
        self._closed = False
        self.dropped = 0

    def put(self, channel: str, text: str) -> None:
        """Deliver one message (JSON text) published on ``channel``."""
        if not self._closed:
            self._force((channel, text))

    def end(self) -> None:
        """Stop the subscriber's iteration after the messages already queued."""
        self._force(None)

    def _force(self, item: tuple[str, str] | None) -> None:
        """Queue ``item``, dropping the oldest message when the queue is full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "A bus subscriber is %d messages behind: dropped %d oldest so far",
                    QUEUE_LIMIT,
                    self.dropped,
                )
        self._queue.put_nowait(item)

    async def _next(self) -> tuple[str, str]:
        item = await self._queue.get()
        if item is None:
            self._force(None)
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close(self)
        self.end()
