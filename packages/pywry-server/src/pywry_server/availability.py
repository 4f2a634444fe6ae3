"""Stage: whether a widget can be used from this worker (the availability policy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend
    from pywry.state.records import WidgetRecord

__all__ = ["CLOSED", "OWNER_GONE", "Availability"]

CLOSED = "The widget was closed"
OWNER_GONE = "The worker that owned this widget is gone"


class Availability:
    """A widget this worker defines is always available; another worker's run-time
    widget is available while its record exists and its owner's heartbeat lives."""

    def __init__(self, runtime: Runtime, backend: StateBackend, worker_id: str) -> None:
        self._runtime = runtime
        self._backend = backend
        self._worker_id = worker_id

    async def reason(self, label: str, alive: set[str] | None = None) -> str | None:
        """Why ``label`` cannot be used from here, or ``None`` if it can."""
        if self._runtime.get(label) is not None:
            return None
        return await self.record_reason(await self._backend.widgets.get(label), alive)

    async def record_reason(
        self, record: WidgetRecord | None, alive: set[str] | None = None
    ) -> str | None:
        """:meth:`reason` for a widget this worker does not define."""
        if record is None:
            return CLOSED
        if record.owner is None:
            return None
        if record.owner == self._worker_id:
            return CLOSED
        if alive is None:
            alive_now = await self._backend.workers.is_alive(record.owner)
        else:
            alive_now = record.owner in alive
        return None if alive_now else OWNER_GONE
