"""The last resort of shutdown: a worker still alive well after SIGTERM exits anyway.

Shutdown is bounded by ``TIMEOUT_GRACEFUL_SHUTDOWN`` at every step PyWry controls
(sockets, callbacks, queued emits), but a sync callback stuck in a thread, or a
library holding the loop, can still keep the process alive: Python waits for the
thread pool's threads before it exits. :class:`HardStop` is armed when the worker
hears SIGTERM (or begins shutdown for another reason, max-requests recycling) and,
:data:`MARGIN` seconds after the grace, logs one line naming what still runs and
ends the process with :data:`EXIT_STATUS`, so a supervisor sees a failure and the
replacement starts.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

__all__ = ["EXIT_STATUS", "MARGIN", "HardStop"]

logger = logging.getLogger("pywry.server.shutdown")

#: Seconds past the grace before the process is ended.
MARGIN = 2.0
#: The exit status of a worker ended by the hard stop (EX_SOFTWARE).
EXIT_STATUS = 70

_Handler = Any  # what signal.getsignal returns: a callable, an int, or None


class HardStop:
    """End this process ``grace + MARGIN`` seconds after shutdown begins, if it lasts."""

    def __init__(self, worker_id: str, grace: float, loop: asyncio.AbstractEventLoop) -> None:
        self.worker_id = worker_id
        self.grace = grace
        self.loop = loop
        #: ``time.monotonic()`` when shutdown began (``None``: it has not).
        self.began: float | None = None
        self._timer: threading.Timer | None = None
        self._previous: _Handler = None
        self._listening = False
        self._signalled = False

    def listen(self) -> None:
        """Arm on SIGTERM, then let uvicorn's own handler run (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return  # an app served from a thread (tests): no signals here
        self._previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self._listening = True

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self._signalled = True
        self.arm()
        if callable(self._previous):
            self._previous(signum, frame)

    def arm(self) -> None:
        """Start the countdown (once; later calls keep the first start)."""
        if self.began is not None:
            return
        self.began = time.monotonic()
        self._timer = threading.Timer(self.grace + MARGIN, self._fire)
        self._timer.name = "pywry-hard-stop"
        self._timer.daemon = True  # a worker that exits in time is not held by it
        self._timer.start()

    def release(self) -> None:
        """The app's shutdown is over: put the SIGTERM handler back and, unless the
        process is about to exit (it heard SIGTERM, or it is a worker process of
        ``--workers``, which ends with its server), stop the countdown.

        A process that goes on (an app served inside a test) is never ended.
        """
        if self._listening and signal.getsignal(signal.SIGTERM) == self._on_sigterm:
            signal.signal(signal.SIGTERM, self._previous)
        self._listening = False
        exiting = self._signalled or multiprocessing.parent_process() is not None
        if self._timer is not None and not exiting:
            self._timer.cancel()

    def remaining(self) -> float:
        """Seconds of the grace left (the whole grace before shutdown began)."""
        if self.began is None:
            return self.grace
        return max(0.0, self.began + self.grace - time.monotonic())

    def _fire(self) -> None:
        logger.error(
            "PyWry worker %s still running %.1fs after shutdown began (grace %.1fs): %s; "
            "ending it with status %d",
            self.worker_id,
            time.monotonic() - (self.began or 0.0),
            self.grace,
            self.still_running(),
            EXIT_STATUS,
        )
        for handler in logging.getLogger().handlers + logger.handlers:
            handler.flush()
        os._exit(EXIT_STATUS)

    def still_running(self) -> str:
        """Where the main thread is, the other threads (but this timer), the loop's tasks."""
        main = threading.main_thread()
        frame = sys._current_frames().get(main.ident or 0)
        where = "unknown"
        if frame is not None:
            where = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        threads = [
            t.name
            for t in threading.enumerate()
            if t is not threading.main_thread() and t is not self._timer
        ]
        try:
            tasks = sorted(task.get_name() for task in asyncio.all_tasks(self.loop))
        except RuntimeError:  # the set changed while being read
            tasks = ["(unknown)"]
        return f"main thread at {where}, threads {threads or 'none'}, tasks {tasks or 'none'}"
