"""The threads sync callbacks run in, handing results back to the event loop cheaply.

``loop.run_in_executor`` on a ``ThreadPoolExecutor`` costs two futures, their chaining
and one loop wake-up per call. :meth:`CallbackThreads.run` puts the call on a queue and
the thread puts the outcome on a deque; one wake-up hands the loop every outcome that
finished meanwhile. ``submit`` (the :class:`~concurrent.futures.Executor` interface)
stays for code that wants a plain future, such as ``run_in_executor``.

Threads start on demand up to ``max_threads`` and are daemons: a callback that never
returns cannot keep the process from exiting.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

__all__ = ["CallbackThreads"]

P = ParamSpec("P")
T = TypeVar("T")
_Outcome = tuple[bool, Any]  # (raised, result or exception)


class _Job:
    __slots__ = ("call", "finish")

    def __init__(self, call: Callable[[], Any], finish: Callable[[_Outcome], None]) -> None:
        self.call = call
        self.finish = finish


class CallbackThreads(Executor):
    """A pool of daemon threads for sync callbacks."""

    def __init__(self, max_threads: int | None = None, name: str = "pywry-callback") -> None:
        self._max = max_threads or min(32, (os.cpu_count() or 1) + 4)
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy = 0  # jobs queued or running (starts threads while all are busy)
        self._lock = threading.Lock()
        self._closed = False
        # What finished for the loop ``run`` last saw, and whether a wake-up is pending.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finished: deque[tuple[asyncio.Future[Any], _Outcome]] = deque()
        self._wake_pending = False

    # -- the loop's way in --------------------------------------------------------
    def run(self, call: Callable[[], T]) -> asyncio.Future[T]:
        """Run ``call`` in a thread; the returned loop future gets its outcome."""
        loop = self._loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put(_Job(call, lambda outcome: self._finished_on_thread(loop, future, outcome)))
        return future

    def _finished_on_thread(
        self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], outcome: _Outcome
    ) -> None:
        if loop is not self._loop:  # a loop other than the server's (tests): no batching
            loop.call_soon_threadsafe(_settle, future, outcome)
            return
        self._finished.append((future, outcome))
        if not self._wake_pending:
            self._wake_pending = True
            try:
                loop.call_soon_threadsafe(self._settle_finished)
            except RuntimeError:  # the loop closed meanwhile: nobody waits any more
                self._wake_pending = False

    def _settle_finished(self) -> None:
        self._wake_pending = False  # before popping: a job finishing now wakes us again
        finished = self._finished
        while finished:
            future, outcome = finished.popleft()
            _settle(future, outcome)

    # -- the Executor interface ---------------------------------------------------
    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()

        def finish(outcome: _Outcome) -> None:
            if future.set_running_or_notify_cancel():  # False: cancelled before it ran
                _settle(future, outcome)

        self._put(_Job(lambda: fn(*args, **kwargs), finish))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)
        if wait:
            for thread in threads:
                thread.join()

    # -- the threads --------------------------------------------------------------
    def _put(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot run callbacks after the callback threads shut down")
            self._busy += 1
            if self._busy > len(self._threads) and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._jobs.put(job)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                outcome: _Outcome = (False, job.call())
            except BaseException as exc:  # handed to whoever awaits the job
                outcome = (True, exc)
            with self._lock:
                self._busy -= 1
            job.finish(outcome)
            del job, outcome  # drop references before waiting for the next job


def _settle(future: asyncio.Future[Any] | Future[Any], outcome: _Outcome) -> None:
    """Give ``future`` the outcome, unless it was cancelled meanwhile."""
    if future.cancelled():
        return
    raised, value = outcome
    if raised:
        future.set_exception(value)
    else:
        future.set_result(value)
