"""pywry.context: the callback context, viewer state limits, and the bounded queues."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pywry
from pywry.callbacks import accepted_arity, run_callback
from pywry.context import EventContext, Viewer, ViewerState, current_context, viewer_scope
from pywry.errors import OutboxFullError, ViewerStateError
from pywry.runtime import OUTBOX_LIMIT, Runtime
from pywry.state.queued import QUEUE_LIMIT, QueueSubscription


def _ctx(state: dict[str, Any] | None = None) -> EventContext:
    return EventContext(
        Viewer("viewer-0123456789abcdef", "session-1", "ada"),
        worker_id="w1",
        label="demo",
        event="app:go",
        state=ViewerState(state or {}, max_bytes=1024),
    )


def test_context_is_there_inside_and_gone_outside() -> None:
    ctx = _ctx()
    assert current_context() is None
    with viewer_scope(ctx):
        assert current_context() is ctx
        with pywry.everyone():
            assert current_context() is None
        assert current_context() is ctx
    assert current_context() is None
    assert (ctx.viewer_id, ctx.session_id, ctx.user, ctx.worker_id) == (
        "viewer-0123456789abcdef",
        "session-1",
        "ada",
        "w1",
    )


async def test_sync_callbacks_in_threads_get_ctx_and_the_current_context() -> None:
    ctx, seen = _ctx(), []

    def four(data: Any, event_type: str, label: str, ctx: EventContext) -> None:
        seen.append((ctx, current_context()))

    def three(data: Any, event_type: str, label: str) -> None:
        seen.append((None, current_context()))

    assert (accepted_arity(four), accepted_arity(three)) == (4, 3)
    with viewer_scope(ctx):
        assert await run_callback(four, {}, "app:go", "demo", ctx=ctx)
        assert await run_callback(three, {}, "app:go", "demo", ctx=ctx)
    assert seen == [(ctx, ctx), (None, ctx)]


def test_state_is_a_json_mapping_with_a_size_limit() -> None:
    state = ViewerState({}, max_bytes=1024)
    state["region"] = "north"
    state["n"] = [1, 2, {"a": None}]
    assert dict(state) == {"region": "north", "n": [1, 2, {"a": None}]} and state.changed
    with pytest.raises(ViewerStateError, match="VIEWER_STATE_MAX_BYTES"):
        state["big"] = "x" * 2000
    with pytest.raises(ViewerStateError, match="JSON values only"):
        state["when"] = object()
    with pytest.raises(ViewerStateError, match="keys must be strings"):
        state[1] = "x"  # type: ignore[index]
    assert "big" not in state and "when" not in state  # a refused value stores nothing
    del state["n"]
    assert state.snapshot() == {"region": "north"}


def test_state_loads_on_first_use_when_not_read_before() -> None:
    calls: list[int] = []

    def load() -> dict[str, Any]:
        calls.append(1)
        return {"region": "south"}

    state = ViewerState(max_bytes=1024, loader=load)
    assert not state.loaded and calls == []
    assert state["region"] == "south" and state.get("region") == "south"
    assert calls == [1] and not state.changed


async def test_bus_subscription_queue_is_bounded_and_drops_the_oldest() -> None:
    subscription = QueueSubscription(["widgets"])
    for i in range(QUEUE_LIMIT + 5):
        subscription.put("widgets", f'{{"i": {i}}}')
    assert subscription.dropped == 5
    channel, text = await subscription._next()
    assert (channel, text) == ("widgets", '{"i": 5}')


async def test_runtime_outbox_pushes_back_instead_of_growing() -> None:
    class Sink:
        loop = asyncio.get_running_loop()

    runtime = Runtime()
    await runtime.attach(Sink())  # type: ignore[arg-type]
    gate = asyncio.Event()

    async def held() -> None:
        await gate.wait()

    try:
        for _ in range(OUTBOX_LIMIT):
            assert runtime.schedule(held)
        with pytest.raises(OutboxFullError, match="cannot keep up"):
            runtime.schedule(held)
    finally:
        gate.set()
        await runtime.detach()
