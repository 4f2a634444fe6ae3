"""Stage: running a widget's callbacks on this worker, each event as a tracked task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pywry.runtime import Runtime

    from pywry_server.tasks import TaskSet

__all__ = ["Dispatcher"]


class Dispatcher:
    """Runs the callbacks of the widgets this worker defines (never waits for them)."""

    def __init__(self, runtime: Runtime, tasks: TaskSet) -> None:
        self._runtime = runtime
        self._tasks = tasks

    def defines(self, label: str) -> bool:
        return self._runtime.get(label) is not None

    def run_here(self, label: str, event: str, data: Any, *, origin: str | None = None) -> bool:
        """Start ``label``'s callbacks for ``event``; ``False`` if this worker lacks it.

        ``origin`` is the connection that sent the event (answers meant for that page
        alone go back to it).
        """
        widget = self._runtime.get(label)
        if widget is None:
            return False
        self._tasks.spawn(
            widget.dispatch(event, data, origin=origin), name=f"pywry-callback:{label}:{event}"
        )
        return True
