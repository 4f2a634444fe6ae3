"""A state backend whose every call is timed by operation (metrics on only).

:func:`timed_backend` wraps the backend the worker's parts use; each async method of
its stores (``events.append``, ``connections.register``, ...) and of the backend
itself (``ping``) is observed in ``pywry_backend_call_duration_seconds`` under its
``store.method`` name. A wrapper is made on a method's first use and kept, so a call
costs two clock reads and one histogram observation. The backend's own lifecycle
(``async with``) stays with the real object.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pywry.state.base import StateBackend

    from pywry_server.metrics import Metrics, Timing

__all__ = ["timed_backend"]

_STORES = ("widgets", "sessions", "connections", "workers", "events")


def _timed(timing: Timing, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            timing.observe(time.perf_counter() - started)

    return run


class _Timed:
    """``target`` with its coroutine methods timed as ``{name}.{method}``."""

    def __init__(self, target: object, name: str, metrics: Metrics) -> None:
        self._target = target
        self._name = name
        self._metrics = metrics

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if attr.startswith("_") or not inspect.iscoroutinefunction(value):
            return value
        wrapped = _timed(self._metrics.backend_call(f"{self._name}.{attr}"), value)
        setattr(self, attr, wrapped)  # found directly from now on
        return wrapped


class _TimedBackend(_Timed):
    def __init__(self, backend: StateBackend, metrics: Metrics) -> None:
        super().__init__(backend, "backend", metrics)
        for store in _STORES:
            setattr(self, store, _Timed(getattr(backend, store), store, metrics))


def timed_backend(backend: StateBackend, metrics: Metrics) -> StateBackend:
    """``backend`` itself when metrics are off, else its timed stand-in."""
    if not metrics.enabled:
        return backend
    return cast("StateBackend", _TimedBackend(backend, metrics))
