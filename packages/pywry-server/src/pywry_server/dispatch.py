"""Stage: running a widget's callbacks on this worker, each event as a tracked task."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING, Any

from pywry.context import Viewer
from pywry.progress import Run

if TYPE_CHECKING:
    from pywry.runtime import Runtime

    from pywry_server.messages import ViewerRef
    from pywry_server.tasks import TaskSet

__all__ = ["Dispatcher", "WorkerBusy"]

logger = logging.getLogger("pywry.server.dispatch")


class WorkerBusy(Exception):
    """This worker already runs as many callbacks as it may; the page resends later."""


class Dispatcher:
    """Runs the callbacks of the widgets this worker defines (never waits for them).

    At most ``max_running`` events' callbacks run at once; :meth:`check_room` lets
    inbound routing turn the next one away (the page resends it) instead of queueing
    without bound.
    """

    def __init__(self, runtime: Runtime, tasks: TaskSet, *, max_running: int) -> None:
        self._runtime = runtime
        self._tasks = tasks
        self._max_running = max_running
        #: The runs of viewers' events going on here, by run id (``pywry:cancel``).
        self._runs: dict[str, tuple[Run, asyncio.Task[Any]]] = {}

    def defines(self, label: str) -> bool:
        return self._runtime.get(label) is not None

    def check_room(self) -> None:
        """Raise :class:`WorkerBusy` when the limit of running callbacks is reached."""
        if self._tasks.running >= self._max_running:
            raise WorkerBusy(
                f"{self._tasks.running} callbacks are running on this worker (the limit is "
                f"{self._max_running}, PYWRY_SERVER__MAX_RUNNING_CALLBACKS); resend shortly"
            )

    def run_here(
        self,
        label: str,
        event: str,
        data: Any,
        *,
        origin: str | None = None,
        viewer: ViewerRef | None = None,
    ) -> bool:
        """Start ``label``'s callbacks for ``event``; ``False`` if this worker lacks it.

        ``origin`` is the connection that sent the event (answers meant for that page
        alone go back to it); ``viewer`` who sent it (what callbacks send reaches it).
        """
        widget = self._runtime.get(label)
        if widget is None:
            return False
        who = run = None
        if viewer is not None:
            who = Viewer(viewer.viewer_id, viewer.session_id, viewer.user)
            run = Run(viewer.viewer_id)
        task = self._tasks.spawn(
            widget.dispatch(event, data, origin=origin, viewer=who, run=run),
            name=f"pywry-callback:{label}:{event}",
        )
        if run is not None:
            run_id = run.run_id
            self._runs[run_id] = (run, task)
            task.add_done_callback(lambda _task: self._runs.pop(run_id, None))
        return True

    def cancel(self, run_id: str, viewer_id: str) -> bool:
        """Cancel the run ``run_id`` of ``viewer_id`` if it runs here; whether it does.

        ``ctx.cancelled`` becomes true; when every callback of the event is async, the
        task is cancelled too. A run of another viewer is left alone.
        """
        found = self._runs.get(run_id)
        if found is None:
            return False
        run, task = found
        if not hmac.compare_digest(run.viewer_id, viewer_id):
            logger.warning("A viewer tried to cancel another viewer's run %s", run_id)
            return True  # it runs here; the request is refused
        run.cancel()
        if run.cancel_task:
            task.cancel()
        return True
