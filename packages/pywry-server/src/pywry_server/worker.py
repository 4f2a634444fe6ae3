"""One worker's server parts, composed in one place and started under one task group.

The path of an event, stage by stage (one module each)::

    browser -> ws.py (socket) -> inbound.py (claim, route) -> dispatch.py (callbacks)
            -> outbound.py (log, publish) -> the backend's bus -> listener.py
            -> connection.py (the socket's own queue and writer) -> browser

``sockets.py`` indexes this worker's sockets, ``availability.py`` decides whether a
widget can be used from here, ``upkeep.py`` runs the periodic round, ``messages.py``
types what workers say to each other, ``protocol.py`` what browsers say.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pywry._retry import backoff
from pywry._startup import mark_server_up
from pywry.errors import BackendError, BackendUnavailableError

from pywry_server.access import AccessGuard
from pywry_server.availability import Availability
from pywry_server.codes import CloseCode
from pywry_server.dispatch import Dispatcher
from pywry_server.files import Downloads
from pywry_server.inbound import InboundRouter
from pywry_server.listener import BusListener
from pywry_server.metrics import NO_METRICS, Metrics
from pywry_server.outbound import Outbound
from pywry_server.sockets import SocketRegistry
from pywry_server.tasks import TaskSet
from pywry_server.upkeep import Upkeep
from pywry_server.uploads import Uploads
from pywry_server.viewers import ViewerDirectory

if TYPE_CHECKING:
    from pywry.config import PyWrySettings
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend

__all__ = ["Worker"]

logger = logging.getLogger("pywry.server")
_SHUTDOWN_GRACE = 5.0


@dataclass(slots=True)
class Worker:
    """What the routes and the socket endpoint of one worker use."""

    settings: PyWrySettings
    backend: StateBackend
    runtime: Runtime
    worker_id: str
    sockets: SocketRegistry
    availability: Availability
    inbound: InboundRouter
    outbound: Outbound
    viewers: ViewerDirectory
    downloads: Downloads
    uploads: Uploads
    listener: BusListener
    upkeep: Upkeep
    tasks: TaskSet
    metrics: Metrics
    access: AccessGuard
    #: Why this worker has not joined the backend yet; ``None`` once it has.
    waiting: str | None = "starting"

    @classmethod
    def compose(
        cls,
        settings: PyWrySettings,
        backend: StateBackend,
        runtime: Runtime,
        worker_id: str,
        group: asyncio.TaskGroup,
        *,
        sweep_sessions: Callable[[SocketRegistry], Awaitable[None]] | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> Worker:
        """Build every part and wire them (nothing runs until :meth:`start`)."""
        deploy = settings.deploy
        tasks = TaskSet(group)
        sockets = SocketRegistry(backend.connections, worker_id, ttl=deploy.connection_ttl)
        availability = Availability(runtime, backend, worker_id)
        dispatcher = Dispatcher(runtime, tasks, max_running=settings.server.max_running_callbacks)
        viewers = ViewerDirectory(backend.sessions, ttl=deploy.session_ttl)
        outbound = Outbound(settings, backend, sockets, viewers, worker_id, metrics)
        access = AccessGuard(runtime, backend, auth_enabled=deploy.auth_enabled)
        downloads = Downloads(settings, backend, outbound.emit_to_viewer)
        outbound.files = downloads
        inbound = InboundRouter(
            backend, dispatcher, worker_id, dedupe_ttl=2 * deploy.connection_ttl
        )
        uploads = Uploads(
            settings,
            backend,
            runtime=runtime,
            access=access,
            viewers=viewers,
            downloads=downloads,
            dispatcher=dispatcher,
            inbound=inbound,
            availability=availability,
        )
        downloads.uploads = uploads

        async def sweep() -> None:
            if sweep_sessions is not None:  # first: a session that ended closes with 4401
                await sweep_sessions(sockets)
            await access.sweep(sockets)

        return cls(
            settings=settings,
            backend=backend,
            runtime=runtime,
            worker_id=worker_id,
            sockets=sockets,
            availability=availability,
            inbound=inbound,
            outbound=outbound,
            viewers=viewers,
            downloads=downloads,
            uploads=uploads,
            listener=BusListener(backend.events, worker_id, sockets, dispatcher, metrics),
            upkeep=Upkeep(
                backend=backend,
                runtime=runtime,
                sockets=sockets,
                availability=availability,
                outbound=outbound,
                viewers=viewers,
                connection_ttl=deploy.connection_ttl,
                widget_ttl=deploy.widget_ttl,
                sweep_sessions=sweep,
            ),
            tasks=tasks,
            metrics=metrics,
            access=access,
        )

    @property
    def joined(self) -> bool:
        """Whether this worker is part of the server (its sockets and events are served)."""
        return self.waiting is None

    async def open(self) -> None:
        """Start the backend, then this worker's parts (:meth:`start`)."""
        await self.backend.start()
        await self.start()

    async def join_later(self, unreachable: BackendError) -> None:
        """:meth:`open` again with back-off until the backend answers.

        Meanwhile ``/readyz`` answers 503 and sockets are refused with "retry" (1013),
        so browsers come back to a worker that can serve them.
        """
        self.waiting = str(unreachable)
        logger.warning("PyWry worker %s waits for the backend: %s", self.worker_id, unreachable)
        for delay in backoff(0.5, 10.0):
            await asyncio.sleep(delay)
            try:
                await self.open()
            except BackendError as exc:  # unreachable, or answering with errors (OOM)
                self.waiting = str(exc)
                continue
            logger.info("PyWry worker %s joined: backend %s", self.worker_id, self.backend.name)
            return

    async def start(self) -> None:
        """Heartbeat, publish this worker's widgets, listen on the bus, start upkeep."""
        await self.beat()
        for widget in self.runtime.widgets():
            await self.outbound.save(widget.to_record())
        await self.listener.subscribe()
        self.tasks.service(self.listener.run(), "pywry-bus")
        self.tasks.service(self.upkeep.run(), "pywry-upkeep")
        self.tasks.service(self._keep_beating(), "pywry-heartbeat")
        watch_every = min(1.0, self.settings.server.send_timeout / 4)
        self.tasks.service(self.sockets.watch(watch_every), "pywry-stalled-sends")
        await self.runtime.attach(self.outbound)
        self.waiting = None
        mark_server_up()

    async def beat(self) -> None:
        """Tell other workers this one is alive for the next ``HEARTBEAT_GRACE`` seconds."""
        await self.backend.workers.heartbeat(
            self.worker_id, ttl=self.settings.deploy.heartbeat_grace
        )

    async def _keep_beating(self) -> None:
        """A heartbeat every ``HEARTBEAT_INTERVAL``: a SIGKILLed worker is dead to the
        others ``HEARTBEAT_GRACE`` seconds after its last one, not ``CONNECTION_TTL``."""
        failing = False
        while True:
            await asyncio.sleep(self.settings.deploy.heartbeat_interval)
            try:
                await self.beat()
            except BackendError as exc:
                if not failing:
                    logger.warning("Heartbeat failed, will retry: %s", exc)
                failing = True
                continue
            if failing:
                logger.info("Heartbeat of worker %s sent again", self.worker_id)
            failing = False

    @property
    def shutdown_grace(self) -> float:
        """``TIMEOUT_GRACEFUL_SHUTDOWN`` seconds, 5 when unset."""
        grace = self.settings.server.timeout_graceful_shutdown
        return _SHUTDOWN_GRACE if grace is None else float(grace)

    async def stop(self, within: float | None = None) -> None:
        """Close sockets, let running callbacks finish, hand their emits (and every
        queued one) to the backend, leave the bus, drop the heartbeat.

        All of it within ``within`` seconds (what is left of the grace since SIGTERM;
        :attr:`shutdown_grace` when not given): a callback still running then is
        cancelled; an emit still waiting for an unreachable backend is dropped, and
        how many were is one warning.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.shutdown_grace if within is None else within)
        self.outbound.stop_retrying(deadline)
        for connection in self.sockets.all():
            connection.close(CloseCode.GOING_AWAY, "server shutting down")
        await self.tasks.finish(deadline - loop.time())  # callbacks emit as they end
        await self.runtime.detach()  # every queued emit: logged, or counted as lost
        lost = self.outbound.lost_at_shutdown
        if lost:
            logger.warning(
                "PyWry worker %s stopped with %d emit(s) the backend never took "
                "(unreachable until shutdown): they are lost",
                self.worker_id,
                lost,
            )
        await self.tasks.stop()
        await self.listener.aclose()
        if self.joined:
            with contextlib.suppress(BackendUnavailableError):
                await self.backend.workers.remove(self.worker_id)
