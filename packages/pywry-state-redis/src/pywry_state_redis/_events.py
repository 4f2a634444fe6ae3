"""The event bus: Redis pub/sub between workers, replay logs, once-only claims.

A subscription owns one pub/sub connection and a reader task that moves messages
into a queue. When the connection drops (Redis restarted, network cut) the reader
reconnects with back-off and subscribes again, so the same subscription keeps
working; messages published while it was disconnected are lost (that is pub/sub),
which is why browser-bound events also go through the replay log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import weakref
from collections.abc import Iterable
from typing import Any, cast

from pywry.state.base import EventBus, Message, Subscription
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from pywry_state_redis._link import SOCKET_TIMEOUT, Link, Role, ttl_ms

__all__ = ["RedisEvents", "RedisSubscription"]

logger = logging.getLogger("pywry_state_redis")

#: Seconds one read waits for a message before looping (keeps reads version-proof).
_POLL = 30.0
#: Back-off bounds, in seconds, between reconnection attempts.
_RETRY_FIRST, _RETRY_MAX = 0.05, 2.0

_Item = tuple[str, str] | Exception | None


async def _close(pubsub: PubSub) -> None:
    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]


class RedisSubscription(Subscription):
    """Messages of ``{prefix}:bus:{channel}`` for each channel, prefix stripped."""

    def __init__(self, link: Link, channels: Iterable[str]) -> None:
        self.link = link
        self._names = sorted({link.keys.bus(channel) for channel in channels})
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    async def open(self) -> None:
        """Subscribe and wait until Redis confirmed every channel."""
        self._pubsub = await self._connect()
        self._reader = asyncio.create_task(self._read(), name="pywry-redis-subscription")

    async def _connect(self) -> PubSub:
        pubsub = self.link.bus_redis.pubsub()
        try:
            await pubsub.subscribe(*self._names)
            pending = set(self._names)
            while pending:
                message = await pubsub.get_message(timeout=SOCKET_TIMEOUT)
                if message is None:
                    raise RedisTimeoutError("Redis did not confirm the subscription")
                if message["type"] == "subscribe":
                    pending.discard(message["channel"])
                else:
                    self._deliver(message)
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    def _deliver(self, message: dict[str, str]) -> None:
        if message.get("type") == "message":
            channel = self.link.keys.channel_of(message["channel"])
            self._queue.put_nowait((channel, message["data"]))

    async def _read(self) -> None:
        try:
            while self._pubsub is not None:
                try:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=_POLL
                    )
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    logger.warning("Lost the Redis event bus (%s); reconnecting", exc)
                    await self._drop()
                    self._pubsub = await self._reconnect()
                    continue
                if message is not None:
                    self._deliver(message)
        except RedisError as exc:  # an answer we cannot handle ends the subscription
            self._queue.put_nowait(self.link.failed(exc))
        except Exception as exc:
            self._queue.put_nowait(exc)
        finally:
            await self._drop()

    async def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await _close(pubsub)

    async def _reconnect(self) -> PubSub:
        delay = _RETRY_FIRST
        while True:
            await asyncio.sleep(delay)
            try:
                pubsub = await self._connect()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                logger.debug("Redis event bus still down: %s", exc)
                delay = min(delay * 2, _RETRY_MAX)
                continue
            logger.warning(
                "Redis event bus reconnected to %s; messages published meanwhile were lost",
                self.link.masked_url,
            )
            return pubsub

    async def _next(self) -> tuple[str, str]:
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)
            raise StopAsyncIteration
        if isinstance(item, Exception):
            self._queue.put_nowait(item)
            raise item
        return item

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._drop()  # the reader may have been cancelled before it ever ran
        self._queue.put_nowait(None)


class RedisEvents(Role, EventBus):
    """Pub/sub on ``{prefix}:bus:{channel}``; replay logs ``{prefix}:log:{widget_id}``
    (zset scored by seq) with their counters ``{prefix}:seq:{widget_id}`` (a new one
    starts at the Redis clock in microseconds, see :mod:`pywry.state.numbering`) and append
    keys ``{prefix}:appended:{widget_id}`` (zset of idempotency keys scored by seq, kept
    as long as their entries); claims
    ``{prefix}:claim:{key}`` (``SET NX PX``).
    """

    def __init__(self, link: Link) -> None:
        super().__init__(link)
        self.subscriptions: weakref.WeakSet[RedisSubscription] = weakref.WeakSet()

    async def _publish(self, channel: str, text: str) -> None:
        await self.link.redis.publish(self.link.keys.bus(channel), text)

    async def _subscribe(self, channels: list[str]) -> Subscription:
        subscription = RedisSubscription(self.link, channels)
        await subscription.open()
        self.subscriptions.add(subscription)
        return subscription

    async def close_subscriptions(self) -> None:
        """End every subscription still open (the backend is closing)."""
        for subscription in list(self.subscriptions):
            await subscription.aclose()

    async def _append(
        self, widget_id: str, message: Message, maxlen: int, ttl: float, key: str | None
    ) -> int:
        return await self._run_append(widget_id, message, [maxlen, ttl_ms(ttl), key or ""])

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
        """Append and publish in one script: one round trip, and never one without the other."""
        bus = self.link.keys.bus(channel)
        args = [maxlen, ttl_ms(ttl), key or "", bus, before, after]
        return await self._run_append(widget_id, message, args)

    async def _run_append(self, widget_id: str, message: Message, args: list[Any]) -> int:
        body = {key: value for key, value in message.items() if key != "seq"}
        text = json.dumps(body, separators=(",", ":"))
        keys = self.link.keys
        names = [keys.seq(widget_id), keys.log(widget_id), keys.appended(widget_id)]
        seq = await self.link.scripts["append"](keys=names, args=[text, *args])
        return int(seq)

    async def _since(self, widget_id: str, after_seq: int) -> list[str]:
        key = self.link.keys.log(widget_id)
        entries = await self.link.redis.zrangebyscore(key, f"({after_seq}", "+inf")
        return cast("list[str]", entries)

    async def _last_seq(self, widget_id: str) -> int:
        value = await self.link.redis.get(self.link.keys.seq(widget_id))
        return int(value) if value is not None else 0

    async def _claim(self, key: str, ttl: float) -> bool:
        # A token per call: the client retries a command whose reply was lost (Redis
        # going away), and the retry must not find its own first write "taken".
        token = secrets.token_hex(8)
        args: list[str | int] = [token, ttl_ms(ttl)]
        claimed = await self.link.scripts["claim"](keys=[self.link.keys.claim(key)], args=args)
        return bool(claimed)
