"""Conformance of the replay log (``append``/``since``/``last_seq``) and of ``claim``."""

from __future__ import annotations

import asyncio

import pytest

from pywry.state.base import MAX_SEQ, StateBackend
from pywry.testing._support import (
    LONG_TTL,
    SHORT_TTL,
    check_new_log_start,
    clock_us,
    eventually,
    uid,
)

__all__ = ["ClaimTests", "ReplayLogTests"]


async def _log_gone(backend: StateBackend, widget_id: str) -> bool:
    return await backend.events.since(widget_id, 0) == []


class ReplayLogTests:
    """``backend.events``: the bounded per-widget log of server-to-browser events.

    A new log numbers its first entry with the clock at its creation (microseconds
    since the epoch, :func:`pywry.state.numbering.first_seq`), then one more per
    append: so a log lost or expired and created again numbers above the old one.
    """

    @pytest.mark.asyncio
    async def test_append_numbers_from_the_clock(self, backend: StateBackend) -> None:
        widget = uid("widget")
        assert await backend.events.last_seq(widget) == 0
        assert await backend.events.since(widget, 0) == []
        before = clock_us()
        first = await backend.events.append(widget, {"i": 0, "t": "é"}, maxlen=100, ttl=LONG_TTL)
        check_new_log_start(first, before, clock_us())
        seqs = [first] + [
            await backend.events.append(widget, {"i": i, "t": "é"}, maxlen=100, ttl=LONG_TTL)
            for i in range(1, 5)
        ]
        assert seqs == list(range(first, first + 5))
        assert await backend.events.last_seq(widget) == first + 4
        assert await backend.events.since(widget, 0) == [
            {"i": i, "t": "é", "seq": first + i} for i in range(5)
        ]
        assert await backend.events.since(widget, first + 2) == [
            {"i": 3, "t": "é", "seq": first + 3},
            {"i": 4, "t": "é", "seq": first + 4},
        ]
        assert await backend.events.since(widget, first + 4) == []
        assert await backend.events.since(widget, first + 99) == []
        assert await backend.events.since(widget, MAX_SEQ) == []

    @pytest.mark.asyncio
    async def test_logs_are_per_widget(self, backend: StateBackend) -> None:
        one, two = uid("widget"), uid("widget")
        first_one = await backend.events.append(one, {"w": 1}, maxlen=10, ttl=LONG_TTL)
        await backend.events.append(one, {"w": 1}, maxlen=10, ttl=LONG_TTL)
        before = clock_us()
        first_two = await backend.events.append(two, {"w": 2}, maxlen=10, ttl=LONG_TTL)
        check_new_log_start(first_two, before, clock_us())
        assert await backend.events.since(two, 0) == [{"w": 2, "seq": first_two}]
        assert await backend.events.last_seq(one) == first_one + 1
        assert await backend.events.last_seq(two) == first_two

    @pytest.mark.asyncio
    async def test_maxlen_keeps_the_newest(self, backend: StateBackend) -> None:
        widget = uid("widget")
        first = await backend.events.append(widget, {"i": 0}, maxlen=3, ttl=LONG_TTL)
        for i in range(1, 10):
            await backend.events.append(widget, {"i": i}, maxlen=3, ttl=LONG_TTL)
        logged = await backend.events.since(widget, 0)
        assert [m["seq"] for m in logged] == [first + 7, first + 8, first + 9]
        assert [m["i"] for m in await backend.events.since(widget, first + 7)] == [8, 9]
        assert await backend.events.last_seq(widget) == first + 9
        assert await backend.events.append(widget, {"i": 10}, maxlen=3, ttl=LONG_TTL) == first + 10

    @pytest.mark.asyncio
    async def test_concurrent_appends_get_unique_consecutive_seqs(
        self, backend: StateBackend
    ) -> None:
        widget = uid("widget")
        before = clock_us()
        seqs = await asyncio.gather(
            *(backend.events.append(widget, {"i": i}, maxlen=100, ttl=LONG_TTL) for i in range(50))
        )
        first = min(seqs)
        check_new_log_start(first, before, clock_us())
        assert sorted(seqs) == list(range(first, first + 50))
        logged = await backend.events.since(widget, 0)
        assert [m["seq"] for m in logged] == list(range(first, first + 50))
        assert {m["seq"]: m["i"] for m in logged} == {seq: i for i, seq in enumerate(seqs)}
        assert await backend.events.last_seq(widget) == first + 49

    @pytest.mark.asyncio
    async def test_log_expires_after_last_append(self, backend: StateBackend) -> None:
        widget, witness = uid("widget"), uid("widget")
        await backend.events.append(widget, {"n": 1}, maxlen=10, ttl=SHORT_TTL)
        await backend.events.append(witness, {"n": 1}, maxlen=10, ttl=SHORT_TTL)
        await backend.events.append(widget, {"n": 2}, maxlen=10, ttl=LONG_TTL)
        await eventually(lambda: _log_gone(backend, witness), "the short-TTL log to expire")
        assert await backend.events.last_seq(witness) == 0
        assert [m["n"] for m in await backend.events.since(widget, 0)] == [1, 2]

    @pytest.mark.asyncio
    async def test_a_log_created_again_numbers_above_the_old_one(
        self, backend: StateBackend
    ) -> None:
        # What a page has of an expired (or lost) log must never hide the new log's
        # entries: they number above every entry the old log had.
        widget = uid("widget")
        old = [
            await backend.events.append(widget, {"old": i}, maxlen=10, ttl=SHORT_TTL)
            for i in range(3)
        ]
        await eventually(lambda: _log_gone(backend, widget), "the short-TTL log to expire")
        assert await backend.events.last_seq(widget) == 0
        before = clock_us()
        again = await backend.events.append(widget, {"new": 0}, maxlen=10, ttl=LONG_TTL)
        check_new_log_start(again, before, clock_us())
        assert again > max(old)
        assert await backend.events.append(widget, {"new": 1}, maxlen=10, ttl=LONG_TTL) == again + 1
        assert await backend.events.since(widget, max(old)) == [
            {"new": 0, "seq": again},
            {"new": 1, "seq": again + 1},
        ]

    @pytest.mark.asyncio
    async def test_log_rejects_bad_input(self, backend: StateBackend) -> None:
        widget = uid("widget")
        with pytest.raises(ValueError, match="widget_id"):
            await backend.events.append("", {"x": 1}, maxlen=10, ttl=LONG_TTL)
        with pytest.raises(ValueError, match="ttl"):
            await backend.events.append(widget, {"x": 1}, maxlen=10, ttl=0)
        with pytest.raises(ValueError, match="maxlen"):
            await backend.events.append(widget, {"x": 1}, maxlen=0, ttl=LONG_TTL)
        assert await backend.events.last_seq(widget) == 0


class ClaimTests:
    """``backend.events.claim``: once-only keys with a TTL."""

    @pytest.mark.asyncio
    async def test_claim_once(self, backend: StateBackend) -> None:
        key, other = uid("claim"), uid("claim")
        assert await backend.events.claim(key, ttl=LONG_TTL) is True
        assert await backend.events.claim(key, ttl=LONG_TTL) is False
        assert await backend.events.claim(other, ttl=LONG_TTL) is True

    @pytest.mark.asyncio
    async def test_concurrent_claims_have_one_winner(self, backend: StateBackend) -> None:
        key = uid("claim")
        results = await asyncio.gather(
            *(backend.events.claim(key, ttl=LONG_TTL) for _ in range(20))
        )
        assert results.count(True) == 1

    @pytest.mark.asyncio
    async def test_claim_expires(self, backend: StateBackend) -> None:
        key = uid("claim")
        assert await backend.events.claim(key, ttl=SHORT_TTL) is True

        async def claimable() -> bool:
            return await backend.events.claim(key, ttl=LONG_TTL)

        await eventually(claimable, "the claim to expire so the key can be claimed again")
        assert await backend.events.claim(key, ttl=LONG_TTL) is False

    @pytest.mark.asyncio
    async def test_claim_rejects_bad_input(self, backend: StateBackend) -> None:
        with pytest.raises(ValueError, match="key"):
            await backend.events.claim("", ttl=LONG_TTL)
        key = uid("claim")
        with pytest.raises(ValueError, match="ttl"):
            await backend.events.claim(key, ttl=-1)
        assert await backend.events.claim(key, ttl=LONG_TTL) is True
