"""Conformance of idempotent appends: ``events.append(..., key=...)``."""

from __future__ import annotations

import asyncio

import pytest

from pywry.state.base import Announce, Capability, StateBackend
from pywry.testing._fixtures import MakeBackend
from pywry.testing._support import (
    LONG_TTL,
    SHORT_TTL,
    check_new_log_start,
    clock_us,
    eventually,
    requires,
    uid,
)
from pywry.testing.events import receive

__all__ = ["AppendKeyTests"]


class AppendKeyTests:
    """An append retried with the same key is logged once and answers the first seq."""

    @pytest.mark.asyncio
    async def test_same_key_logs_once(self, backend: StateBackend) -> None:
        widget = uid("widget")
        events = backend.events
        first = await events.append(widget, {"n": 1}, maxlen=10, ttl=LONG_TTL, key="a")
        assert await events.append(widget, {"n": 1}, maxlen=10, ttl=LONG_TTL, key="a") == first
        assert await events.append(widget, {"n": 2}, maxlen=10, ttl=LONG_TTL, key="b") == first + 1
        assert await events.append(widget, {"n": 3}, maxlen=10, ttl=LONG_TTL) == first + 2
        assert await events.append(widget, {"n": 3}, maxlen=10, ttl=LONG_TTL) == first + 3
        assert await events.append(widget, {"n": 1}, maxlen=10, ttl=LONG_TTL, key="a") == first
        assert await events.last_seq(widget) == first + 3
        assert [m["n"] for m in await events.since(widget, 0)] == [1, 2, 3, 3]

    @pytest.mark.asyncio
    async def test_keys_are_per_log(self, backend: StateBackend) -> None:
        one, two = uid("widget"), uid("widget")
        await backend.events.append(one, {"w": 1}, maxlen=10, ttl=LONG_TTL, key="k")
        await backend.events.append(one, {"w": 1}, maxlen=10, ttl=LONG_TTL, key="j")
        before = clock_us()
        seq = await backend.events.append(two, {"w": 2}, maxlen=10, ttl=LONG_TTL, key="k")
        check_new_log_start(seq, before, clock_us())  # a new entry, not one's "k"
        assert await backend.events.since(two, 0) == [{"w": 2, "seq": seq}]

    @pytest.mark.asyncio
    async def test_key_is_forgotten_with_its_entry(self, backend: StateBackend) -> None:
        widget = uid("widget")
        events = backend.events
        first = await events.append(widget, {"i": 0}, maxlen=3, ttl=LONG_TTL, key="first")
        await events.append(widget, {"i": 1}, maxlen=3, ttl=LONG_TTL, key="second")
        for i in range(2, 4):
            await events.append(widget, {"i": i}, maxlen=3, ttl=LONG_TTL)
        # "first" (the first seq) left the log with its entry; "second" is still in it.
        second = await events.append(widget, {"i": 1}, maxlen=3, ttl=LONG_TTL, key="second")
        assert second == first + 1
        again = await events.append(widget, {"i": 0}, maxlen=3, ttl=LONG_TTL, key="first")
        assert again == first + 4
        assert [m["seq"] for m in await events.since(widget, 0)] == [first + i for i in (2, 3, 4)]

    @pytest.mark.asyncio
    async def test_key_expires_with_the_log(self, backend: StateBackend) -> None:
        widget = uid("widget")
        old = await backend.events.append(widget, {"n": 1}, maxlen=10, ttl=SHORT_TTL, key="k")

        async def gone() -> bool:
            return await backend.events.last_seq(widget) == 0

        await eventually(gone, "the short-TTL log to expire")
        seq = await backend.events.append(widget, {"n": 2}, maxlen=10, ttl=LONG_TTL, key="k")
        assert seq > old  # a new entry in a new log, numbered above the old one
        assert await backend.events.since(widget, 0) == [{"n": 2, "seq": seq}]

    @pytest.mark.asyncio
    async def test_concurrent_appends_of_one_key_log_once(self, backend: StateBackend) -> None:
        widget = uid("widget")
        seqs = await asyncio.gather(
            *(
                backend.events.append(
                    widget, {"i": i % 5}, maxlen=100, ttl=LONG_TTL, key=f"k{i % 5}"
                )
                for i in range(40)
            )
        )
        first = min(seqs)
        assert sorted(set(seqs)) == list(range(first, first + 5))
        logged = await backend.events.since(widget, 0)
        assert sorted(m["i"] for m in logged) == [0, 1, 2, 3, 4]
        assert {m["seq"]: m["i"] for m in logged} == {seq: i % 5 for i, seq in enumerate(seqs)}
        assert await backend.events.last_seq(widget) == first + 4

    @pytest.mark.asyncio
    async def test_announced_retry_publishes_no_new_entry(self, backend: StateBackend) -> None:
        widget, channel = uid("widget"), uid("channel")
        announce = Announce(channel, {"kind": "deliver"})
        async with await backend.events.subscribe(channel) as sub:
            seqs = [
                await backend.events.append(
                    widget, {"n": 1}, maxlen=10, ttl=LONG_TTL, announce=announce, key="k"
                )
                for _ in range(3)
            ]
            seq = seqs[0]
            assert seqs == [seq] * 3
            await backend.events.publish(channel, {"kind": "end"})
            got: list[dict[str, object]] = []
            while not got or got[-1] != {"kind": "end"}:
                got.extend(message for _, message in await receive(sub, 1))
        # A backend may announce a retry again (its first publish may have failed),
        # but never as a new entry.
        entries = got[:-1]
        assert entries and all(
            m == {"kind": "deliver", "message": {"n": 1, "seq": seq}} for m in entries
        )
        assert await backend.events.since(widget, 0) == [{"n": 1, "seq": seq}]

    @pytest.mark.asyncio
    async def test_key_seen_by_other_instances(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.SHARED)
        other = await make_backend()
        widget = uid("widget")
        seq = await backend.events.append(widget, {"n": 1}, maxlen=10, ttl=LONG_TTL, key="k")
        assert await other.events.append(widget, {"n": 1}, maxlen=10, ttl=LONG_TTL, key="k") == seq
        assert await other.events.since(widget, 0) == [{"n": 1, "seq": seq}]

    @pytest.mark.asyncio
    async def test_empty_key_is_refused(self, backend: StateBackend) -> None:
        widget = uid("widget")
        with pytest.raises(ValueError, match="key"):
            await backend.events.append(widget, {"x": 1}, maxlen=10, ttl=LONG_TTL, key="")
        assert await backend.events.last_seq(widget) == 0
