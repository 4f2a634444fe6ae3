"""CallbackThreads: the pool sync callbacks run in."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from pywry._threads import CallbackThreads
from pywry.callbacks import run_callback

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def test_results_and_exceptions_reach_the_awaiting_task() -> None:
    pool = CallbackThreads(max_threads=3)
    try:
        assert await pool.run(lambda: 41 + 1) == 42

        def boom() -> None:
            raise ValueError("from the thread")

        with pytest.raises(ValueError, match="from the thread"):
            await pool.run(boom)
    finally:
        pool.shutdown()


async def test_many_at_once_each_get_their_own_result_on_at_most_max_threads() -> None:
    pool = CallbackThreads(max_threads=4)
    seen: set[str] = set()

    def work(n: int) -> int:
        seen.add(threading.current_thread().name)
        return n * n

    try:
        results = await asyncio.gather(*(pool.run(lambda n=n: work(n)) for n in range(2000)))
        assert results == [n * n for n in range(2000)]
        assert 1 <= len(seen) <= 4
        assert all(name.startswith("pywry-callback") for name in seen)
    finally:
        pool.shutdown()


async def test_sync_callbacks_keep_the_callers_context_variables() -> None:
    pool = CallbackThreads()
    got: list[str] = []
    WHO.set("viewer-a")
    try:
        assert await run_callback(lambda data: got.append(WHO.get()), 1, "a:b", "w", executor=pool)
        assert got == ["viewer-a"]
    finally:
        pool.shutdown()


async def test_a_cancelled_waiter_does_not_break_the_pool() -> None:
    pool = CallbackThreads(max_threads=1)
    release = threading.Event()
    try:
        waiting = pool.run(release.wait)
        waiting.cancel()
        release.set()
        assert await pool.run(lambda: "next") == "next"
    finally:
        pool.shutdown()


async def test_submit_gives_a_plain_future_usable_by_run_in_executor() -> None:
    pool = CallbackThreads()
    try:
        assert pool.submit(pow, 2, 10).result(timeout=5) == 1024
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(pool, pow, 3, 3) == 27
    finally:
        pool.shutdown()


def test_after_shutdown_new_work_is_refused_clearly() -> None:
    pool = CallbackThreads()
    assert pool.submit(lambda: 1).result(timeout=5) == 1
    pool.shutdown(wait=True)
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(lambda: 2)
