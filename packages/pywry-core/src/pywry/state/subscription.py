"""The subscription of :meth:`EventBus.subscribe <pywry.state.base.EventBus.subscribe>`.

Re-exported by :mod:`pywry.state.base`, beside the roles.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

__all__ = ["Message", "Subscription"]

Message = dict[str, Any]


class Subscription(ABC):
    """Messages arriving on the channels of one :meth:`EventBus.subscribe` call.

    Use it as an async context manager and async iterator; each item is
    ``(channel, message)``. Messages published after :meth:`EventBus.subscribe`
    returned are delivered in publish order per publisher.
    """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[tuple[str, Message]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[tuple[str, Message]]:
        while True:
            try:
                channel, raw = await self._next()
            except StopAsyncIteration:
                return
            yield channel, json.loads(raw)

    @abstractmethod
    async def _next(self) -> tuple[str, str]:
        """Wait for the next ``(channel, json_text)``; raise ``StopAsyncIteration`` once closed."""

    @abstractmethod
    async def aclose(self) -> None:
        """Stop receiving; idempotent."""
