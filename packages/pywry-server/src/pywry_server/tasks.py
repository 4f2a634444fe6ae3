"""Background tasks of one worker: started in one task group, stopped in one place."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["TaskSet"]

logger = logging.getLogger("pywry.server.tasks")


class TaskSet:
    """A worker's tasks, tracked for shutdown.

    ``spawn`` starts short work (a callback run) that shutdown lets finish within a
    grace period: a plain task with one done-callback (every event starts one, and the
    task group's bookkeeping would double its cost). ``service`` starts a loop in the
    app's :class:`asyncio.TaskGroup` that runs until shutdown cancels it. A failure
    of either is logged, never allowed to tear the worker down.
    """

    def __init__(self, group: asyncio.TaskGroup) -> None:
        self._group = group
        self._work: set[asyncio.Task[Any]] = set()
        self._services: list[asyncio.Task[Any]] = []

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._work.add(task)
        task.add_done_callback(self._work_done)
        return task

    def _work_done(self, task: asyncio.Task[Any]) -> None:
        self._work.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("Background task %s failed", task.get_name(), exc_info=exc)

    def service(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        self._services.append(self._group.create_task(_logged(coro, name), name=name))

    @property
    def running(self) -> int:
        """Short-lived tasks still running."""
        return len(self._work)

    async def finish(self, grace: float) -> None:
        """Let running work finish for ``grace`` seconds; cancel what still runs then."""
        if not self._work:
            return
        _done, late = await asyncio.wait(set(self._work), timeout=max(0.0, grace))
        if late:
            logger.warning("Cancelling %d callback(s) still running at shutdown", len(late))
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def stop(self, grace: float = 0.0) -> None:
        """:meth:`finish` the work within ``grace`` seconds, then cancel every service."""
        await self.finish(grace)
        for task in self._services:
            task.cancel()
        await asyncio.gather(*self._work, *self._services, return_exceptions=True)


async def _logged(coro: Coroutine[Any, Any, Any], name: str) -> None:
    """Run ``coro``; an exception is logged, never allowed to tear the task group down."""
    try:
        await coro
    except Exception:
        logger.exception("Background task %s failed", name)
