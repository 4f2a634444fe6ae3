"""Stage: inbound routing of a browser event to the worker that runs its callbacks."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Literal

from pywry.errors import BackendUnavailableError
from pywry.progress import CANCEL_EVENT

from pywry_server.messages import WIDGETS_CHANNEL, Cancel, Dispatch, worker_channel

if TYPE_CHECKING:
    from pywry.state.base import StateBackend

    from pywry_server.connection import Connection
    from pywry_server.dispatch import Dispatcher
    from pywry_server.messages import ViewerRef

__all__ = ["InboundRouter", "Status"]

Status = Literal["ok", "duplicate", "unavailable"]
#: Failed claims remembered (a frame resent after a longer outage runs at most once
#: anyway: its claim is then simply not found).
_UNCERTAIN_MAX = 10_000
#: Seconds an owner found alive is trusted before the backend is asked again (a dead
#: owner is noticed ``HEARTBEAT_GRACE`` after its last heartbeat, and this much later).
OWNER_FRESH = 1.0
#: Owners remembered at most (the least recently used are forgotten first).
_OWNERS_MAX = 10_000


class InboundRouter:
    """Claims each browser event once, then runs it here or sends it to its owner.

    A frame id is claimed in the backend (``(widget, client, id)``) before anything
    runs, so a frame resent after a reconnect, to any worker, is a ``duplicate``.
    A widget this worker defines runs here; a run-time widget of another worker is
    published on its owner's channel, or answered ``unavailable`` if the owner's
    heartbeat expired. An owner found alive is remembered for ``owner_fresh`` seconds,
    so a page's stream of events to a run-time widget of another worker costs one
    owner and one liveness look-up a second, not two round trips in front of each.
    """

    def __init__(
        self,
        backend: StateBackend,
        dispatcher: Dispatcher,
        worker_id: str,
        *,
        dedupe_ttl: float,
        owner_fresh: float = OWNER_FRESH,
    ) -> None:
        self._backend = backend
        self._owner_fresh = owner_fresh
        #: label -> (its owner, found alive, until when: ``time.monotonic()``)
        self._owners: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._worker_id = worker_id
        self._dispatcher = dispatcher
        self._dedupe_ttl = dedupe_ttl
        #: Claims whose call failed (the backend went away): the write may have landed
        #: all the same, and the page resends the frame; found taken then, it is ours.
        self._uncertain: OrderedDict[str, None] = OrderedDict()

    async def _claim(self, key: str) -> bool:
        try:
            claimed = await self._backend.events.claim(key, ttl=self._dedupe_ttl)
        except BackendUnavailableError:
            self._uncertain[key] = None
            while len(self._uncertain) > _UNCERTAIN_MAX:
                self._uncertain.popitem(last=False)
            raise
        if key in self._uncertain:
            del self._uncertain[key]
            return True  # taken by our own failed call, which ran nothing
        return claimed

    async def receive(
        self, connection: Connection, event: str, data: Any, frame_id: str | None
    ) -> Status:
        label = connection.label
        if event == CANCEL_EVENT:  # never turned away: it is how a busy worker gets relief
            await self._cancel(connection, data)
            return "ok"
        if self._dispatcher.defines(label):
            self._dispatcher.check_room()  # before the claim: a refused frame may come again
        if frame_id is not None:
            key = f"in:{label}:{connection.client_id}:{frame_id}"
            if not await self._claim(key):
                return "duplicate"
        origin, viewer = connection.connection_id, connection.viewer
        return await self.hand_over(label, event, data, origin=origin, viewer=viewer)

    async def hand_over(
        self,
        label: str,
        event: str,
        data: Any,
        *,
        origin: str | None = None,
        viewer: ViewerRef | None = None,
    ) -> Status:
        """Run ``event`` here, or publish it on the owner's channel (run-time widgets).

        The caller has made sure it runs once (a claimed frame id, an upload's
        ``done``); ``unavailable`` when the owner's heartbeat expired.
        """
        if self._dispatcher.run_here(label, event, data, origin=origin, viewer=viewer):
            return "ok"
        owner = await self._live_owner(label)
        if owner is None:
            return "unavailable"
        message = Dispatch(label=label, event=event, data=data, origin=origin, viewer=viewer)
        await self._backend.events.publish(worker_channel(owner), message.wire())
        return "ok"

    async def _live_owner(self, label: str) -> str | None:
        """The worker that owns run-time widget ``label``, if it is alive."""
        now = time.monotonic()
        owners = self._owners
        known = owners.get(label)
        if known is not None and known[1] > now:
            return known[0]
        owner = await self._backend.connections.owner_of(label)
        if owner is None or not await self._backend.workers.is_alive(owner):
            owners.pop(label, None)
            return None
        owners[label] = (owner, now + self._owner_fresh)
        owners.move_to_end(label)
        while len(owners) > _OWNERS_MAX:
            owners.popitem(last=False)
        return owner

    async def _cancel(self, connection: Connection, data: Any) -> None:
        """Cancel the sender's run named in ``data`` here, or ask every worker to."""
        run_id = data.get("id") if isinstance(data, dict) else None
        viewer = connection.viewer
        if not isinstance(run_id, str) or not 0 < len(run_id) <= 64 or viewer is None:
            return
        if not self._dispatcher.cancel(run_id, viewer.viewer_id):
            message = Cancel(run=run_id, viewer=viewer.viewer_id, sender=self._worker_id)
            await self._backend.events.publish(WIDGETS_CHANNEL, message.wire())
