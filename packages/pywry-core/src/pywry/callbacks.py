"""Calling user callbacks: signature adaptation, thread pool for sync, error isolation.

A callback may accept ``(data)``, ``(data, event_type)``, ``(data, event_type,
label)`` or ``(data, event_type, label, ctx)`` (``*args`` gets the first three). Sync
callbacks run in a thread pool so they never block the event loop, with the caller's
context variables (so :func:`pywry.current_context` works there); async callbacks are
awaited. A callback that raises is logged and never stops the callbacks after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

from pywry._threads import CallbackThreads

__all__ = [
    "MAX_ARITY",
    "Callback",
    "CallbackObserver",
    "accepted_arity",
    "invoke_all",
    "is_async_callback",
    "run_callback",
]

logger = logging.getLogger("pywry.callbacks")

Callback = Callable[..., Any]
#: Told ``(seconds, ok)`` after each callback ran (the server's metrics).
CallbackObserver = Callable[[float, bool], None]
#: ``(data, event_type, label, ctx)``
MAX_ARITY = 4


#: ``(arity, is_async)`` per callback, held weakly so callbacks of closed widgets can be
#: freed (both are read on every event).
_shapes: weakref.WeakKeyDictionary[Any, tuple[int, bool]] = weakref.WeakKeyDictionary()


def _arity_of(fn: Callback) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 3
    count = 0
    for param in params:
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            return 3  # the spec's three; ctx is for callbacks that name it
        if param.kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            count += 1
    return min(count, MAX_ARITY)


def _shape(fn: Callback) -> tuple[int, bool]:
    try:
        return _shapes[fn]
    except (KeyError, TypeError):  # not seen yet, or not weak-referenceable / hashable
        pass
    shape = (_arity_of(fn), _is_async(fn))
    with contextlib.suppress(TypeError):
        _shapes[fn] = shape
    return shape


def accepted_arity(fn: Callback) -> int:
    """How many of ``(data, event_type, label, ctx)`` ``fn`` takes (0 to 4)."""
    return _shape(fn)[0]


def is_async_callback(fn: Callback) -> bool:
    """Whether ``fn`` is awaited on the loop (not run in a thread)."""
    return _shape(fn)[1]


def _is_async(fn: Callback) -> bool:
    target = fn.func if isinstance(fn, functools.partial) else fn
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 - async callable objects
    )


async def run_callback(
    fn: Callback,
    data: Any,
    event_type: str,
    label: str,
    *,
    executor: Executor | None = None,
    ctx: Any = None,
    observe: CallbackObserver | None = None,
) -> bool:
    """Call ``fn`` with as many arguments as it takes; ``True`` if it did not raise.

    ``observe``, if given, is told how long the call took and whether it raised.
    """
    if observe is None:
        return await _run(fn, data, event_type, label, executor, ctx)
    started = time.perf_counter()
    ok = await _run(fn, data, event_type, label, executor, ctx)
    observe(time.perf_counter() - started, ok)
    return ok


async def _run(
    fn: Callback, data: Any, event_type: str, label: str, executor: Executor | None, ctx: Any
) -> bool:
    arity, is_async = _shape(fn)
    args = (data, event_type, label, ctx)[:arity]
    try:
        if is_async:
            await fn(*args)
        else:
            call = functools.partial(contextvars.copy_context().run, fn, *args)
            if isinstance(executor, CallbackThreads):
                result = await executor.run(call)
            else:
                result = await asyncio.get_running_loop().run_in_executor(executor, call)
            if inspect.isawaitable(result):
                await result
    except Exception:
        name = getattr(fn, "__qualname__", repr(fn))
        logger.exception("Callback %s for %r on widget %r raised", name, event_type, label)
        return False
    return True


async def invoke_all(
    callbacks: Iterable[Callback],
    data: Any,
    event_type: str,
    label: str,
    *,
    executor: Executor | None = None,
    ctx: Any = None,
    observe: CallbackObserver | None = None,
) -> int:
    """Run every callback in order; returns how many raised."""
    failures = 0
    for fn in callbacks:
        ok = await run_callback(
            fn, data, event_type, label, executor=executor, ctx=ctx, observe=observe
        )
        failures += 0 if ok else 1
    return failures
