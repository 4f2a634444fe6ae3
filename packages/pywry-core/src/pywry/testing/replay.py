"""Conformance of the replay log (``append``/``since``/``last_seq``) and of ``claim``."""

from __future__ import annotations

import asyncio

import pytest

from pywry.state.base import StateBackend
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, uid

__all__ = ["ClaimTests", "ReplayLogTests"]


async def _log_gone(backend: StateBackend, widget_id: str) -> bool:
    return await backend.events.since(widget_id, 0) == []


class ReplayLogTests:
    """``backend.events``: the bounded per-widget log of server-to-browser events."""

    @pytest.mark.asyncio
    async def test_append_numbers_from_one(self, backend: StateBackend) -> None:
        widget = uid("widget")
        assert await backend.events.last_seq(widget) == 0
        assert await backend.events.since(widget, 0) == []
        seqs = [
            await backend.events.append(widget, {"i": i, "t": "é"}, maxlen=100, ttl=LONG_TTL)
            for i in range(5)
        ]
        assert seqs == [1, 2, 3, 4, 5]
        assert await backend.events.last_seq(widget) == 5
        assert await backend.events.since(widget, 0) == [
            {"i": i, "t": "é", "seq": i + 1} for i in range(5)
        ]
        assert await backend.events.since(widget, 3) == [
            {"i": 3, "t": "é", "seq": 4},
            {"i": 4, "t": "é", "seq": 5},
        ]
        assert await backend.events.since(widget, 5) == []
        assert await backend.events.since(widget, 99) == []

    @pytest.mark.asyncio
    async def test_logs_are_per_widget(self, backend: StateBackend) -> None:
        one, two = uid("widget"), uid("widget")
        await backend.events.append(one, {"w": 1}, maxlen=10, ttl=LONG_TTL)
        await backend.events.append(one, {"w": 1}, maxlen=10, ttl=LONG_TTL)
        assert await backend.events.append(two, {"w": 2}, maxlen=10, ttl=LONG_TTL) == 1
        assert await backend.events.since(two, 0) == [{"w": 2, "seq": 1}]
        assert await backend.events.last_seq(one) == 2

    @pytest.mark.asyncio
    async def test_maxlen_keeps_the_newest(self, backend: StateBackend) -> None:
        widget = uid("widget")
        for i in range(10):
            await backend.events.append(widget, {"i": i}, maxlen=3, ttl=LONG_TTL)
        assert [m["seq"] for m in await backend.events.since(widget, 0)] == [8, 9, 10]
        assert [m["i"] for m in await backend.events.since(widget, 8)] == [8, 9]
        assert await backend.events.last_seq(widget) == 10
        assert await backend.events.append(widget, {"i": 10}, maxlen=3, ttl=LONG_TTL) == 11

    @pytest.mark.asyncio
    async def test_concurrent_appends_get_unique_consecutive_seqs(
        self, backend: StateBackend
    ) -> None:
        widget = uid("widget")
        seqs = await asyncio.gather(
            *(backend.events.append(widget, {"i": i}, maxlen=100, ttl=LONG_TTL) for i in range(50))
        )
        assert sorted(seqs) == list(range(1, 51))
        logged = await backend.events.since(widget, 0)
        assert [m["seq"] for m in logged] == list(range(1, 51))
        assert {m["seq"]: m["i"] for m in logged} == {seq: i for i, seq in enumerate(seqs)}
        assert await backend.events.last_seq(widget) == 50

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
