"""Conformance of :meth:`EventBus.publish` / :meth:`EventBus.subscribe`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pywry.state.base import Announce, StateBackend, Subscription
from pywry.testing._support import DEADLINE, LONG_TTL, check_new_log_start, clock_us, uid

__all__ = ["EventBusTests", "receive"]


async def receive(sub: Subscription, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` messages of ``sub``; fails if they do not come in time."""
    iterator = aiter(sub)
    got: list[tuple[str, dict[str, Any]]] = []
    for _ in range(count):
        try:
            got.append(await asyncio.wait_for(anext(iterator), DEADLINE))
        except TimeoutError:
            pytest.fail(f"received {len(got)} of {count} messages within {DEADLINE:.0f}s: {got}")
    return got


async def _drain(sub: Subscription) -> list[tuple[str, dict[str, Any]]]:
    """Everything a closed subscription still yields; fails if iteration does not end."""

    async def collect() -> list[tuple[str, dict[str, Any]]]:
        return [item async for item in sub]

    try:
        return await asyncio.wait_for(collect(), DEADLINE)
    except TimeoutError:
        pytest.fail("iterating a closed subscription did not end")


class EventBusTests:
    """``backend.events``: publish/subscribe between workers."""

    @pytest.mark.asyncio
    async def test_messages_arrive_in_publish_order(self, backend: StateBackend) -> None:
        channel = uid("channel")
        sent = [{"i": i, "text": "é ✓ <b>", "nested": {"list": [i, None, 1.5]}} for i in range(30)]
        async with await backend.events.subscribe(channel) as sub:
            for message in sent:
                await backend.events.publish(channel, message)
            assert await receive(sub, len(sent)) == [(channel, m) for m in sent]

    @pytest.mark.asyncio
    async def test_one_subscription_many_channels(self, backend: StateBackend) -> None:
        one, two, other = uid("channel"), uid("channel"), uid("channel")
        async with await backend.events.subscribe(one, two) as sub:
            await backend.events.publish(one, {"n": 1})
            await backend.events.publish(two, {"n": 2})
            await backend.events.publish(other, {"n": 3})
            await backend.events.publish(one, {"n": 4})
            got = await receive(sub, 3)
        assert got == [(one, {"n": 1}), (two, {"n": 2}), (one, {"n": 4})]

    @pytest.mark.asyncio
    async def test_every_subscriber_gets_a_copy(self, backend: StateBackend) -> None:
        channel = uid("channel")
        first = await backend.events.subscribe(channel)
        second = await backend.events.subscribe(channel)
        try:
            await backend.events.publish(channel, {"hello": "all"})
            for sub in (first, second):
                assert await receive(sub, 1) == [(channel, {"hello": "all"})]
        finally:
            await first.aclose()
            await second.aclose()

    @pytest.mark.asyncio
    async def test_messages_before_subscribe_are_not_delivered(self, backend: StateBackend) -> None:
        channel = uid("channel")
        await backend.events.publish(channel, {"early": True})
        async with await backend.events.subscribe(channel) as sub:
            await backend.events.publish(channel, {"late": True})
            assert await receive(sub, 1) == [(channel, {"late": True})]

    @pytest.mark.asyncio
    async def test_concurrent_publishers_keep_their_order(self, backend: StateBackend) -> None:
        channel = uid("channel")

        async def publisher(name: str) -> None:
            for i in range(20):
                await backend.events.publish(channel, {"from": name, "i": i})

        async with await backend.events.subscribe(channel) as sub:
            await asyncio.gather(*(publisher(name) for name in "abc"))
            got = [message for _, message in await receive(sub, 60)]
        for name in "abc":
            assert [m["i"] for m in got if m["from"] == name] == list(range(20))

    @pytest.mark.asyncio
    async def test_aclose_unsubscribes(self, backend: StateBackend) -> None:
        channel = uid("channel")
        closed = await backend.events.subscribe(channel)
        async with await backend.events.subscribe(channel) as open_sub:
            await closed.aclose()
            await closed.aclose()
            await backend.events.publish(channel, {"after": "close"})
            assert await receive(open_sub, 1) == [(channel, {"after": "close"})]
        assert await _drain(closed) == []
        assert await _drain(open_sub) == []

    @pytest.mark.asyncio
    async def test_aclose_ends_a_running_iteration(self, backend: StateBackend) -> None:
        channel = uid("channel")
        sub = await backend.events.subscribe(channel)
        seen: list[dict[str, Any]] = []
        first = asyncio.Event()

        async def listen() -> None:
            async for _, message in sub:
                seen.append(message)
                first.set()

        listener = asyncio.create_task(listen())
        await backend.events.publish(channel, {"first": 1})
        await asyncio.wait_for(first.wait(), DEADLINE)
        await sub.aclose()
        await asyncio.wait_for(listener, DEADLINE)
        assert seen == [{"first": 1}]

    @pytest.mark.asyncio
    async def test_publish_without_subscribers_is_fine(self, backend: StateBackend) -> None:
        await backend.events.publish(uid("channel"), {"nobody": "listens"})

    @pytest.mark.asyncio
    async def test_bus_rejects_bad_channels(self, backend: StateBackend) -> None:
        with pytest.raises(ValueError, match="channel"):
            await backend.events.publish("", {"x": 1})
        with pytest.raises(ValueError, match="channel"):
            await backend.events.subscribe()
        with pytest.raises(ValueError, match="channel"):
            await backend.events.subscribe(uid("channel"), "")

    @pytest.mark.asyncio
    async def test_an_announced_append_publishes_the_stored_entry(
        self, backend: StateBackend
    ) -> None:
        channel, widget = uid("channel"), uid("widget")
        wrapper = {"kind": "deliver", "label": widget, "message": {}, "sender": "w-1"}
        async with await backend.events.subscribe(channel) as sub:
            before = clock_us()
            seqs = []
            for i in range(3):
                announce = Announce(channel, wrapper)
                message = {"type": "event", "data": {"i": i, "t": "é <b>"}}
                seqs.append(
                    await backend.events.append(
                        widget, message, maxlen=10, ttl=LONG_TTL, announce=announce
                    )
                )
            got = await receive(sub, 3)
        check_new_log_start(seqs[0], before, clock_us())
        assert seqs == list(range(seqs[0], seqs[0] + 3))
        stored = await backend.events.since(widget, 0)
        assert got == [(channel, {**wrapper, "message": entry}) for entry in stored]
        assert [entry["data"]["i"] for entry in stored] == [0, 1, 2]
