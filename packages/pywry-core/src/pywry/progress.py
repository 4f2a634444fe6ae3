"""Long work: a callback's progress, shown to its viewer, and the viewer's Cancel.

Each event the server runs gets a :class:`Run`. ``ctx.progress(fraction, message)``
sends the viewer ``pywry:progress {id, fraction, message}`` (at most every
:data:`MIN_INTERVAL` seconds, the last one always), which ``progress.js`` shows as a
bar with a Cancel button; Cancel sends ``pywry:cancel {id}``, and the server cancels
the run on whichever worker runs it: ``ctx.cancelled`` becomes ``True`` (sync
callbacks poll it) and, when every callback of the event is async, the task running
them is cancelled (``asyncio.CancelledError`` at their next ``await``). When the run
ends the viewer gets ``pywry:progress {id, done: true, cancelled}`` and the bar goes.
"""

from __future__ import annotations

import itertools
import math
import os
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["CANCEL_EVENT", "MIN_INTERVAL", "PROGRESS_EVENT", "Run"]

#: Python to browser: a run's progress, and its end.
PROGRESS_EVENT = "pywry:progress"
#: Browser to Python: cancel the run named by ``id``.
CANCEL_EVENT = "pywry:cancel"
#: Least seconds between two progress events of one run (the last always goes).
MIN_INTERVAL = 0.1
_MAX_MESSAGE = 200

Report = Callable[[dict[str, Any]], None]

# Run ids: unique across workers (a random prefix per process) and cheap to make, one
# per event. They need not be secret: a cancel is refused unless its viewer's own.
_RUN_PREFIX = secrets.token_urlsafe(6)
_run_numbers = itertools.count(1)


def _new_run_prefix() -> None:  # a forked worker (gunicorn) must not repeat its parent's ids
    global _RUN_PREFIX
    _RUN_PREFIX = secrets.token_urlsafe(6)


os.register_at_fork(after_in_child=_new_run_prefix)
# Guards every run's progress throttle: progress reports are rare, runs are not.
_progress_lock = threading.Lock()


class Run:
    """One event's callbacks running on this worker for one viewer."""

    def __init__(self, viewer_id: str, *, run_id: str | None = None) -> None:
        self.run_id = run_id or f"{_RUN_PREFIX}{next(_run_numbers)}"
        self.viewer_id = viewer_id
        #: Whether a cancel also cancels the task (every callback of the event is async).
        self.cancel_task = False
        self._cancelled = False  # set once, read by callbacks in any thread
        self._report: Report | None = None
        self._sent_at = -math.inf
        self.shown = False

    def bind(self, report: Report) -> None:
        """Where progress goes (the widget sends it to the run's viewer)."""
        self._report = report

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        self._cancelled = True

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report ``fraction`` (0 to 1, clamped) done, with an optional short message."""
        if not isinstance(fraction, (int, float)) or isinstance(fraction, bool):
            raise TypeError(f"progress fraction must be a number, got {fraction!r}")
        if math.isnan(fraction):
            raise ValueError("progress fraction must be a number between 0 and 1, got nan")
        value = min(1.0, max(0.0, float(fraction)))
        with _progress_lock:
            now = time.monotonic()
            if value < 1.0 and now - self._sent_at < MIN_INTERVAL:
                return
            self._sent_at = now
            self.shown = True
        payload: dict[str, Any] = {"id": self.run_id, "fraction": value}
        if message is not None:
            payload["message"] = str(message)[:_MAX_MESSAGE]
        if self._report is not None:
            self._report(payload)

    def finish(self) -> None:
        """Tell the viewer the run ended (only if it ever showed progress)."""
        if self.shown and self._report is not None:
            self._report({"id": self.run_id, "done": True, "cancelled": self.cancelled})
