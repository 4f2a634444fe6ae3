from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
from pywry.callbacks import accepted_arity, invoke_all, run_callback


def one(data):
    return None


def two(data, event_type):
    return None


def three(data, event_type, label):
    return None


def star(*args):
    return None


@pytest.mark.parametrize(("fn", "arity"), [(one, 1), (two, 2), (three, 3), (star, 3)])
def test_arity(fn, arity: int) -> None:
    assert accepted_arity(fn) == arity


@pytest.mark.parametrize("shape", ["one", "two", "three"])
async def test_shorter_signatures_get_leading_arguments(shape: str) -> None:
    got: list[tuple[Any, ...]] = []
    fns = {
        "one": lambda d: got.append((d,)),
        "two": lambda d, e: got.append((d, e)),
        "three": lambda d, e, label: got.append((d, e, label)),
    }
    assert await run_callback(fns[shape], {"v": 1}, "a:b", "w")
    expected = ({"v": 1}, "a:b", "w")[: {"one": 1, "two": 2, "three": 3}[shape]]
    assert got == [expected]


async def test_sync_callback_runs_in_a_worker_thread() -> None:
    names: list[str] = []
    await run_callback(lambda d: names.append(threading.current_thread().name), 1, "a:b", "w")
    assert names and names[0] != threading.main_thread().name


async def test_async_callback_is_awaited_on_the_loop() -> None:
    loops: list[Any] = []

    async def cb(data, event_type, label):
        await asyncio.sleep(0)
        loops.append(asyncio.get_running_loop())

    assert await run_callback(cb, 1, "a:b", "w")
    assert loops == [asyncio.get_running_loop()]


async def test_errors_are_logged_and_do_not_stop_others(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def bad(data):
        raise ValueError("nope")

    async def bad_async(data):
        raise KeyError("missing")

    caplog.set_level(logging.ERROR, "pywry.callbacks")
    failures = await invoke_all([bad, bad_async, lambda d: seen.append("ok")], 1, "a:b", "w")
    assert failures == 2
    assert seen == ["ok"]
    assert "bad" in caplog.text and "bad_async" in caplog.text


def test_arity_cache_does_not_keep_callbacks_alive() -> None:
    import gc
    import weakref

    from pywry.callbacks import accepted_arity

    def make() -> Any:
        captured = [0]

        def cb(data: Any, event_type: str) -> None:
            captured.append(data)

        return cb

    fn = make()
    assert accepted_arity(fn) == 2
    ref = weakref.ref(fn)
    del fn
    gc.collect()
    assert ref() is None
