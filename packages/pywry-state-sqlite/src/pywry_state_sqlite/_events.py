"""The event bus, replay logs and claims, shared by every process using the file.

Publishing inserts a row into ``bus``. One poller task per backend reads rows newer
than its cursor every :data:`POLL_INTERVAL` seconds while at least one subscription
is open, and at once when woken: by a local publish, or by a publish in another
process through the wake-up sockets of :mod:`pywry_state_sqlite._wake`. The polling
stays the guarantee; a wake-up only makes it come sooner. The poller hands each row
to the local subscriptions of its channel. Row ids grow in commit order because
SQLite has one writer at a time, so every subscriber sees every publisher's messages
in order. Old rows are deleted by the backend's sweeper after :data:`BUS_RETENTION`
seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from pywry.errors import BackendError
from pywry.state.base import EventBus, Message, Subscription, first_seq
from pywry.state.queued import QueueSubscription

from pywry_state_sqlite._db import Database, Tx
from pywry_state_sqlite._wake import Waker

__all__ = ["BUS_RETENTION", "POLL_INTERVAL", "SQLiteEvents", "SQLiteSubscription"]

logger = logging.getLogger("pywry_state_sqlite")

#: Seconds between polls of the ``bus`` table while subscriptions exist.
POLL_INTERVAL = 0.02
#: Seconds a published row stays in ``bus`` (subscribers that lag longer miss it).
BUS_RETENTION = 60.0
_BATCH = 500


class SQLiteSubscription(QueueSubscription):
    def __init__(self, bus: SQLiteEvents, channels: list[str], after: int) -> None:
        super().__init__(channels, on_close=lambda _: bus.drop(self))
        #: The id of the last row this subscription has seen.
        self.after = after


class SQLiteEvents(EventBus):
    def __init__(self, db: Database) -> None:
        self._db = db
        self._subs: set[SQLiteSubscription] = set()
        self._cursor = 0
        self._wake = asyncio.Event()
        self._stopping = False
        #: Seconds between polls while subscriptions exist (set by the backend).
        self.poll_interval = POLL_INTERVAL
        #: This instance's wake-up socket, and its wake-ups to the other processes.
        self.waker = Waker(db.path)

    def stop(self) -> None:
        """Make :meth:`poll_forever` return (cancellation alone can be lost in 3.11)."""
        self._stopping = True
        self._wake.set()

    def drop(self, sub: SQLiteSubscription) -> None:
        self._subs.discard(sub)

    def close_all(self) -> None:
        """End every open subscription and remove the wake-up socket (the backend is closing)."""
        for sub in list(self._subs):
            sub.end()
        self._subs.clear()
        self.waker.close()

    async def poll_forever(self) -> None:
        """The poller task: started by the backend, stopped by ``aclose()``."""
        while not self._stopping:
            self._wake.clear()
            timeout: float | None = None
            if self._subs:
                timeout = self.poll_interval
                try:
                    if await self._poll_once():
                        continue  # a full batch: more rows are waiting
                except BackendError as exc:
                    logger.warning("Polling the event bus failed, retrying: %s", exc)
                    timeout = 1.0
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that races with the wake-up, and the poller would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _poll_once(self) -> bool:
        channels = sorted(set().union(*(sub.channels for sub in self._subs)))
        rows = await self._db.all(
            "bus_after", after=self._cursor, channels=json.dumps(channels), limit=_BATCH
        )
        for row_id, channel, payload in rows:
            if payload is None:
                continue
            for sub in list(self._subs):
                if row_id > sub.after and channel in sub.channels:
                    sub.after = row_id
                    sub.put(channel, payload)
        if rows:
            self._cursor = max(self._cursor, int(rows[-1][0]))
        return len(rows) == _BATCH

    async def _publish(self, channel: str, text: str) -> None:
        await self._db.write("bus_publish", channel=channel, payload=text)
        if self._subs:
            self._wake.set()
        self.waker.notify()  # after the commit, so a woken poll finds the row

    async def _subscribe(self, channels: list[str]) -> Subscription:
        # Listen before reading the head: a publish committed after the head was read
        # then finds this socket, unless its listing is a moment old (then the poll).
        await self.waker.listen(self._wake.set)
        row = await self._db.one("bus_head")
        head = 0 if row is None else int(row[0])
        if not self._subs:
            self._cursor = head
        sub = SQLiteSubscription(self, channels, head)
        self._subs.add(sub)
        self._wake.set()
        return sub

    async def _append(
        self, widget_id: str, message: Message, maxlen: int, ttl: float, key: str | None
    ) -> int:
        def work(tx: Tx) -> int:
            row = tx.one("replay_head", id=widget_id)
            if row is None:  # no log, or an expired one whose entries must not come back
                tx.write("replay_reset", id=widget_id)
            elif key is not None:
                known = tx.one("replay_seq_of_key", id=widget_id, key=key)
                if known is not None:
                    return int(known[0])  # a retried append: logged already
            # Under BEGIN IMMEDIATE: one process at a time decides a new log's start.
            seq = first_seq() if row is None else int(row[0]) + 1
            payload = json.dumps({**message, "seq": seq}, separators=(",", ":"))
            tx.write("replay_head_put", id=widget_id, seq=seq, ttl=ttl)
            tx.write("replay_entry_put", id=widget_id, seq=seq, payload=payload, key=key)
            tx.write("replay_trim", id=widget_id, seq=seq, maxlen=maxlen)
            return seq

        return await self._db.call(work, transaction=True)

    async def _since(self, widget_id: str, after_seq: int) -> list[str]:
        rows = await self._db.all("replay_since", id=widget_id, after=after_seq)
        return [str(row[0]) for row in rows]

    async def _last_seq(self, widget_id: str) -> int:
        row = await self._db.one("replay_head", id=widget_id)
        return 0 if row is None else int(row[0])

    async def _claim(self, key: str, ttl: float) -> bool:
        def work(tx: Tx) -> bool:
            tx.write("claim_drop_expired", key=key)
            return tx.write("claim_take", key=key, ttl=ttl) == 1

        return await self._db.call(work, transaction=True)
