"""The process's widget runtime: local widget definitions and the link to a server.

A :class:`Runtime` holds the widgets this process defined (with their callbacks).
When a server starts it attaches a :class:`Sink`, through which widgets publish
events and records to every worker; before that, widgets exist only locally. One
runtime exists per process (:func:`current_runtime`) because ``show()`` and friends
are module-level functions.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pywry._threads import CallbackThreads
from pywry.access import AccessWidget
from pywry.context import Viewer, ViewerState
from pywry.errors import OutboxFullError, ViewerStateError, WidgetNotFoundError

if TYPE_CHECKING:
    from pywry._file_sink import FileSink
    from pywry.callbacks import CallbackObserver
    from pywry.progress import Run
    from pywry.state.records import WidgetRecord

__all__ = ["LocalWidget", "Runtime", "Sink", "current_runtime"]

logger = logging.getLogger("pywry.runtime")
T = TypeVar("T")
#: Widget updates waiting for the server loop before ``schedule`` pushes back.
OUTBOX_LIMIT = 10_000
#: How long a thread waits for room in a full outbox before it gets an error.
_OUTBOX_WAIT = 30.0


class Sink(Protocol):
    """What a running server offers widgets (implemented by ``pywry_server``)."""

    loop: asyncio.AbstractEventLoop
    worker_id: str
    #: Largest ``ctx.state`` of one viewer, as JSON bytes.
    viewer_state_max_bytes: int
    #: Where ``widget.download()`` stores files and how it offers them.
    files: FileSink

    async def emit(self, label: str, event: str, data: Any) -> None:
        """Deliver ``event`` to every browser viewing ``label``, on every worker."""

    async def emit_to_viewer(self, viewer_id: str, label: str, event: str, data: Any) -> None:
        """Deliver ``event`` of widget ``label`` to one viewer's page, wherever its socket is.

        In order, replayed after a reconnect on any worker, seen by nobody else.
        """

    async def load_viewer_state(self, viewer_id: str) -> dict[str, Any]:
        """The stored ``ctx.state`` of ``viewer_id`` (empty if none)."""

    async def save_viewer_state(self, viewer: Viewer, state: dict[str, Any]) -> None:
        """Store ``ctx.state`` of ``viewer`` for every worker."""

    async def send_to(self, connection_id: str, label: str, event: str, data: Any) -> None:
        """Deliver ``event`` to the one browser connection ``connection_id`` of ``label``.

        Whichever worker holds that socket. Unlike :meth:`emit` the event is not
        appended to the replay log and reaches no other browser: it is for answers
        meant only for the page that asked (a ``SecretInput`` reveal). A connection
        that is gone drops it.
        """

    async def save(self, record: WidgetRecord) -> None:
        """Store or replace a widget record in the state backend."""

    async def discard(self, label: str) -> None:
        """Remove a widget from the state backend and tell its browsers."""

    async def lookup(self, label: str) -> WidgetRecord | None:
        """A widget record from the state backend (any worker's widget)."""


class LocalWidget(Protocol):
    """What the runtime and the server use of a widget defined in this process.

    :class:`pywry.widgets.widget.Widget` is the one implementation. The runtime sits
    below the widgets (they are built with it), so it names them by this protocol.
    """

    owner: str | None
    #: Who may see it (roles, the creator's session digest).
    access: AccessWidget

    @property
    def label(self) -> str:
        """The widget's id."""

    def to_record(self) -> WidgetRecord:
        """The record every worker sees."""

    @property
    def page_version(self) -> Hashable:
        """Changes whenever the widget's page would (pages are cached by it)."""

    async def dispatch(
        self,
        event: str,
        data: Any,
        *,
        origin: str | None = None,
        viewer: Viewer | None = None,
        run: Run | None = None,
    ) -> int:
        """Run the callbacks of ``event``; the number that ran (``run``: its progress
        and cancellation, made by the server)."""


class Runtime:
    """Local widgets plus, while a server runs, the sink that reaches browsers."""

    def __init__(self) -> None:
        self._widgets: dict[str, LocalWidget] = {}
        self._lock = threading.Lock()
        self._sink: Sink | None = None
        self._queue: asyncio.Queue[Callable[[], Awaitable[None]]] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._queued = 0  # jobs in the outbox (bounded by OUTBOX_LIMIT)
        self._room = threading.Condition()
        self.executor = CallbackThreads()
        #: Told ``(seconds, ok)`` after each callback (set by a server that counts them).
        self.callback_observer: CallbackObserver | None = None
        #: One state object per viewer while callbacks of that viewer run here.
        self._viewer_states: weakref.WeakValueDictionary[str, ViewerState] = (
            weakref.WeakValueDictionary()
        )

    # -- widgets ---------------------------------------------------------------
    def add(self, widget: LocalWidget) -> None:
        with self._lock:
            replaced = widget.label in self._widgets
            self._widgets[widget.label] = widget
        if replaced:
            logger.info("Widget %r replaced by a new show() call", widget.label)
        self.schedule(lambda: self._save(widget))

    async def _save(self, widget: LocalWidget) -> None:
        if self._sink is not None:
            await self._sink.save(widget.to_record())

    def forget(self, label: str) -> None:
        with self._lock:
            self._widgets.pop(label, None)

    def get(self, label: str) -> LocalWidget | None:
        return self._widgets.get(label)

    def widgets(self) -> list[LocalWidget]:
        with self._lock:
            return list(self._widgets.values())

    async def find_record(self, label: str) -> WidgetRecord:
        """``label``'s record: this process's widget, else the shared state's."""
        widget = self.get(label)
        if widget is not None:
            return widget.to_record()
        sink = self._sink
        record = await sink.lookup(label) if sink is not None else None
        if record is None:
            raise WidgetNotFoundError(label)
        return record

    async def find_access(self, label: str) -> AccessWidget:
        """Who may see ``label`` (:class:`~pywry.errors.WidgetNotFoundError` if unknown)."""
        widget = self.get(label)
        if widget is not None:
            return widget.access
        return AccessWidget.of_record(await self.find_record(label))

    # -- server link -----------------------------------------------------------
    @property
    def sink(self) -> Sink | None:
        return self._sink

    @property
    def serving(self) -> bool:
        return self._sink is not None

    @property
    def worker_id(self) -> str:
        sink = self._sink
        if sink is None:
            raise RuntimeError("No server is running")
        return sink.worker_id

    # -- viewers' state ----------------------------------------------------------
    async def viewer_state(self, viewer_id: str, *, load: bool) -> ViewerState:
        """The state of ``viewer_id``, shared by the callbacks of that viewer running now.

        ``load`` reads it from the backend at once; otherwise on first use.
        """
        state = self.viewer_state_now(viewer_id)
        sink = self._sink
        if load and sink is not None and not state.loaded:
            data = await sink.load_viewer_state(viewer_id)
            if not state.loaded:
                state.replace(data)
        return state

    def viewer_state_now(self, viewer_id: str) -> ViewerState:
        """:meth:`viewer_state` without reading it yet (read on first use)."""
        sink = self._sink
        if sink is None:
            raise RuntimeError("No server is running")
        state = self._viewer_states.get(viewer_id)
        if state is None:

            def load_now() -> dict[str, Any]:
                if _on_loop(sink.loop):
                    raise ViewerStateError(
                        "ctx.state is read before callbacks that take ctx run; an async "
                        "callback that uses it must declare ctx as its 4th parameter: "
                        "async def on_event(data, event_type, label, ctx)"
                    )
                return self.run_blocking(lambda: sink.load_viewer_state(viewer_id))

            state = ViewerState(max_bytes=sink.viewer_state_max_bytes, loader=load_now)
            self._viewer_states[viewer_id] = state
        return state

    async def save_viewer_state(self, viewer: Viewer, state: dict[str, Any]) -> None:
        sink = self._sink
        if sink is None:
            return
        try:
            await sink.save_viewer_state(viewer, state)
        except Exception:
            logger.exception("Saving ctx.state of viewer %s failed", viewer.viewer_id)

    async def attach(self, sink: Sink) -> None:
        """Called by the server on start-up, on its event loop."""
        self._sink = sink
        self._queued = 0
        self._queue = asyncio.Queue()
        self._pump = asyncio.create_task(self._run_queue(self._queue), name="pywry-outbox")

    async def detach(self) -> None:
        """Called by the server on shutdown: finish queued work, then unlink.

        Nothing is queued from here on (an emit from another thread meanwhile is
        dropped), so a steady emitter cannot keep shutdown waiting.
        """
        queue, pump = self._queue, self._pump
        self._queue = None
        if queue is not None and pump is not None:
            await queue.join()
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        self._sink, self._queue, self._pump = None, None, None

    async def _run_queue(self, queue: asyncio.Queue[Callable[[], Awaitable[None]]]) -> None:
        while True:
            job = await queue.get()
            try:
                await job()
            except Exception:
                logger.exception("Delivering a widget update failed")
            finally:
                queue.task_done()
                with self._room:
                    self._queued -= 1
                    self._room.notify()

    def schedule(self, job: Callable[[], Awaitable[None]]) -> bool:
        """Queue ``job`` on the server loop, in call order, from any thread.

        Returns ``False`` (and drops the job) when no server is running. At most
        :data:`OUTBOX_LIMIT` jobs wait: beyond that a thread waits for room (up to 30 s)
        and code on the loop gets :class:`~pywry.errors.OutboxFullError` at once.
        """
        sink, queue = self._sink, self._queue
        if sink is None or queue is None:
            return False
        on_loop = _on_loop(sink.loop)
        with self._room:
            if self._queued >= OUTBOX_LIMIT and not on_loop:
                self._room.wait_for(lambda: self._queued < OUTBOX_LIMIT, _OUTBOX_WAIT)
            if self._queued >= OUTBOX_LIMIT:
                raise OutboxFullError(
                    f"{self._queued} widget updates are waiting to be sent (the limit is "
                    f"{OUTBOX_LIMIT}): the server cannot keep up; send fewer, larger updates"
                )
            self._queued += 1
        if on_loop:
            queue.put_nowait(job)
        else:
            sink.loop.call_soon_threadsafe(queue.put_nowait, job)
        return True

    def run_blocking(self, job: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
        """Run ``job`` on the server loop from another thread and wait for its result."""
        sink = self._sink
        if sink is None:
            raise RuntimeError("No server is running")
        if _on_loop(sink.loop):
            raise RuntimeError(
                "This blocking call was made on the server's event loop; "
                "use the async variant (for example get_widget_html_async)"
            )
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(job), sink.loop)
        return future.result(timeout)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _as_coroutine(job: Callable[[], Awaitable[T]]) -> T:
    return await job()


_runtime = Runtime()


def current_runtime() -> Runtime:
    """The runtime of this process."""
    return _runtime
