"""Stage: the bus listener, from other workers (and this one) to this worker's sockets.

Handling a message never waits on a socket: each socket has its own queue and writer
(``connection.py``), so one slow page delays nobody else's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from pywry._retry import backoff
from pywry.errors import BackendError

from pywry_server.delivery import deliver_here
from pywry_server.messages import (
    WIDGETS_CHANNEL,
    BusMessage,
    Cancel,
    Closed,
    Direct,
    Dispatch,
    parse_bus_message,
    worker_channel,
)

if TYPE_CHECKING:
    from pywry.state.base import EventBus, Subscription

    from pywry_server.dispatch import Dispatcher
    from pywry_server.metrics import Metrics
    from pywry_server.sockets import SocketRegistry

__all__ = ["BusListener"]

logger = logging.getLogger("pywry.server.listener")


#: The kinds every worker hands to its own sockets before publishing them.
_ANNOUNCEMENTS = frozenset({"deliver", "viewer", "closed"})


class BusListener:
    """Subscribes to ``widgets`` and this worker's channel; hands messages on."""

    def __init__(
        self,
        bus: EventBus,
        worker_id: str,
        sockets: SocketRegistry,
        dispatcher: Dispatcher,
        metrics: Metrics,
    ) -> None:
        self._bus = bus
        #: Publish-to-arrival seconds of other workers' deliveries (metrics on only).
        self._lag = metrics.bus_lag if metrics.enabled else None
        self._worker_id = worker_id
        self._channels = (WIDGETS_CHANNEL, worker_channel(worker_id))
        self._sockets = sockets
        self._dispatcher = dispatcher
        self._subscription: Subscription | None = None

    async def subscribe(self) -> None:
        """Start receiving (call before :meth:`run`; messages from now on arrive)."""
        self._subscription = await self._bus.subscribe(*self._channels)

    async def run(self) -> None:
        """Handle messages until cancelled; replace a subscription that fails."""
        while True:
            subscription = self._subscription or await self._resubscribe()
            try:
                async for _channel, raw in subscription:
                    if self._own_announcement(raw):
                        continue  # delivered here before it was published
                    message = parse_bus_message(raw)
                    if message is not None:
                        self.handle(message)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The event bus subscription failed; subscribing again")
            with contextlib.suppress(Exception):
                await subscription.aclose()
            self._subscription = None

    async def aclose(self) -> None:
        if self._subscription is not None:
            await self._subscription.aclose()

    async def _resubscribe(self) -> Subscription:
        for delay in backoff(1.0, 5.0):
            await asyncio.sleep(delay)
            try:
                self._subscription = await self._bus.subscribe(*self._channels)
                return self._subscription
            except BackendError as exc:
                logger.warning("Subscribing to the event bus failed, will retry: %s", exc)
        raise AssertionError("backoff() never ends")  # pragma: no cover

    def _own_announcement(self, raw: object) -> bool:
        """Whether ``raw`` is this worker's own delivery or closure (skipped unparsed)."""
        return (
            isinstance(raw, dict)
            and raw.get("sender") == self._worker_id
            and raw.get("kind") in _ANNOUNCEMENTS
        )

    def handle(self, message: BusMessage) -> None:
        """Act on one message: queue frames on sockets, or start callbacks."""
        if isinstance(message, Dispatch):
            self._dispatcher.run_here(
                message.label,
                message.event,
                message.data,
                origin=message.origin,
                viewer=message.viewer,
            )
        elif isinstance(message, Cancel):
            if message.sender != self._worker_id:  # the sender looked at its own runs
                self._dispatcher.cancel(message.run, message.viewer)
        elif isinstance(message, Direct):
            target = self._sockets.get(message.connection)
            if target is not None and target.label == message.label:
                target.send(message.message)
        elif message.sender != self._worker_id:  # a worker delivers its own before publishing
            lag = self._lag
            if lag is not None and not isinstance(message, Closed) and message.sent_at:
                lag.observe(max(0.0, time.time() - message.sent_at))
            deliver_here(self._sockets, message)
