"""The widget object returned by ``show()``, ``show_plotly()`` and ``show_dataframe()``."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from pywry import _json, downloads, uploads
from pywry.access import AccessWidget
from pywry.callbacks import MAX_ARITY, Callback, accepted_arity, invoke_all, is_async_callback
from pywry.context import (
    EventContext,
    Viewer,
    ViewerState,
    current_context,
    everyone,
    viewer_scope,
)
from pywry.errors import InvalidEventError
from pywry.events import EVENT_PATTERN, check_user_event, validate_event_name
from pywry.progress import PROGRESS_EVENT, Run
from pywry.state.records import WidgetRecord
from pywry.toolbar.files import RECORD_KEY, file_input_events, file_inputs
from pywry.toolbar.session import ToolbarSession

if TYPE_CHECKING:
    from concurrent.futures import Future

    from pywry.runtime import Runtime, Sink
    from pywry.toolbar import Toolbar
    from pywry.toolbar.session import ToolbarState

__all__ = ["EVENT_PATTERN", "MAX_EVENT_BYTES", "Widget", "validate_event_name"]

logger = logging.getLogger("pywry.widget")

AlertKind = Literal["info", "success", "warning", "error", "confirm"]
#: Largest event a widget sends (its JSON), in bytes: each is logged for replay and
#: sent to every viewer, so bigger data belongs in a route or the widget's data.
MAX_EVENT_BYTES = 4 * 1024 * 1024


def _jsonable_event_data(event: str, data: Any) -> Any:
    """``data`` as plain JSON types; :class:`InvalidEventError` (a ``ValueError``) if its
    JSON is over :data:`MAX_EVENT_BYTES`."""
    text = _json.dumps(data)
    if len(text) > MAX_EVENT_BYTES:  # ASCII-only JSON: characters are bytes
        raise InvalidEventError(
            f"Event {event!r} carries {len(text):,} bytes of JSON; the limit is "
            f"{MAX_EVENT_BYTES:,} (pywry.widgets.widget.MAX_EVENT_BYTES). Serve large "
            "data from a route of your app (or a data widget's update) and send its URL"
        )
    return json.loads(text)


class Widget:
    """A widget shown to browsers.

    Inside a callback, what it sends goes to the viewer whose event is being handled
    (see :mod:`pywry.context`); :meth:`broadcast` and calls outside callbacks reach
    every viewer.

    Create widgets with :func:`pywry.inline.show` and friends rather than directly.
    """

    kind: str = "html"

    def __init__(
        self,
        runtime: Runtime,
        *,
        label: str,
        title: str,
        content: str,
        toolbars: Sequence[Toolbar] = (),
        callbacks: Mapping[str, Callback] | None = None,
        payload: Mapping[str, Any] | None = None,
        owner: str | None = None,
        roles: Sequence[str] = (),
        private_to: str | None = None,
    ) -> None:
        self._runtime = runtime
        self._label = label
        self.title = title
        self.content = content
        self.toolbars = list(toolbars)
        self.payload: dict[str, Any] = dict(payload or {})
        self.owner = owner
        #: Who may see it (``pywry.access``): any of ``roles``; the session digest ``private_to``.
        self.access = AccessWidget(label, frozenset(roles), private_to)
        #: Counts the changes every worker sees (each :meth:`_save`).
        self.revision = 0
        self._callbacks: dict[str, list[Callback]] = {}
        self._toolbar_session = ToolbarSession(
            runtime, self.emit, lambda: self.toolbars, reply=self._send_to
        )
        for event, fn in (callbacks or {}).items():
            self.on(event, fn)

    @property
    def label(self) -> str:
        """The widget's id: pass it to ``get_widget_html()``; it is in the page URL."""
        return self._label

    def __repr__(self) -> str:
        return f"<{type(self).__name__} label={self._label!r} title={self.title!r}>"

    # -- events from browsers --------------------------------------------------
    @overload
    def on(self, event: str, fn: Callback) -> Callback: ...

    @overload
    def on(self, event: str, fn: None = None) -> Callable[[Callback], Callback]: ...

    def on(
        self, event: str, fn: Callback | None = None
    ) -> Callback | Callable[[Callback], Callback]:
        """Call ``fn(data, event_type, label)`` when a browser sends ``event``.

        Works as a decorator too: ``@widget.on("chart:region")``.
        """
        validate_event_name(event)

        def register(callback: Callback) -> Callback:
            if not callable(callback):
                raise TypeError(f"Callback for {event!r} must be callable, got {callback!r}")
            self._callbacks.setdefault(event, []).append(callback)
            return callback

        return register if fn is None else register(fn)

    def handles(self, event: str) -> bool:
        """Whether any callback is registered for ``event``."""
        return bool(self._callbacks.get(event))

    async def dispatch(
        self,
        event: str,
        data: Any,
        *,
        origin: str | None = None,
        viewer: Viewer | None = None,
        run: Run | None = None,
    ) -> int:
        """Run the callbacks of ``event`` (one failing never stops the others).

        ``origin`` is the id of the browser connection that sent the event (the
        server passes it; answers meant for that page alone go back to it);
        ``viewer`` who sent it: callbacks then run with an
        :class:`~pywry.context.EventContext` and what they send reaches that viewer.
        ``run`` (made by the server) carries ``ctx.progress`` and the viewer's cancel.
        Returns the number of callbacks that ran.
        """
        if origin is not None and event in file_input_events(self):
            # A FileInput's event runs only when its upload ends (HTTP); never from a page.
            logger.warning("Refused %s from a page of %s: it is a FileInput's event", event, self)
            return 0
        callbacks = list(self._callbacks.get(event, ()))
        ctx = None
        if viewer is not None:
            ctx = await self._context(viewer, event, origin, callbacks, run)
            viewer_id = viewer.viewer_id
            ctx.run.bind(lambda payload: self._to_viewer(viewer_id, PROGRESS_EVENT, payload))
            ctx.run.cancel_task = bool(callbacks) and all(map(is_async_callback, callbacks))
        try:
            with viewer_scope(ctx):
                await self._toolbar_session.receive(event, data, origin=origin)
                await invoke_all(
                    callbacks,
                    data,
                    event,
                    self._label,
                    executor=self._runtime.executor,
                    ctx=ctx,
                    observe=self._runtime.callback_observer,
                )
        finally:
            if ctx is not None:
                ctx.run.finish()
        changed = None if ctx is None else ctx.changed_state
        if ctx is not None and changed is not None:
            await self._runtime.save_viewer_state(ctx.viewer, changed.snapshot())
        return len(callbacks)

    async def _context(
        self,
        viewer: Viewer,
        event: str,
        origin: str | None,
        callbacks: list[Callback],
        run: Run | None,
    ) -> EventContext:
        """The callbacks' context; the viewer's state is read when one of them takes ``ctx``."""
        state: ViewerState | Callable[[], ViewerState]
        if any(accepted_arity(fn) == MAX_ARITY for fn in callbacks):
            state = await self._runtime.viewer_state(viewer.viewer_id, load=True)
        else:  # made on first use only (most events never touch it)
            state = functools.partial(self._runtime.viewer_state_now, viewer.viewer_id)
        return EventContext(
            viewer,
            worker_id=self._runtime.worker_id,
            label=self._label,
            event=event,
            state=state,
            origin=origin,
            run=run,
        )

    # -- events to browsers ----------------------------------------------------
    def emit(self, event: str, data: Any = None) -> None:
        """Send ``event`` with ``data``: inside a callback to the viewer being answered,
        elsewhere to every browser viewing this widget.

        Safe to call from callbacks (sync or async) and from any thread. ``data``
        must be JSON-serialisable (numpy, pandas and dates are converted).
        """
        outbound = self._outbound(event, data)
        if outbound is None:
            return
        sink, payload = outbound
        ctx = current_context()
        if ctx is None:
            self._runtime.schedule(lambda: sink.emit(self._label, event, payload))
        else:
            viewer_id = ctx.viewer_id
            self._runtime.schedule(
                lambda: sink.emit_to_viewer(viewer_id, self._label, event, payload)
            )

    def broadcast(self, event: str, data: Any = None) -> None:
        """Send ``event`` to every browser viewing this widget, even inside a callback."""
        with everyone():
            self.emit(event, data)

    @staticmethod
    def _for_everyone() -> bool:
        """Whether a change is everyone's (and new page loads'): outside a viewer's callback."""
        return current_context() is None

    def _to_viewer(self, viewer_id: str, event: str, data: Any) -> None:
        """Send ``event`` to one viewer, from any thread, inside a callback or not."""
        outbound = self._outbound(event, data)
        if outbound is not None:
            sink, payload = outbound
            self._runtime.schedule(
                lambda: sink.emit_to_viewer(viewer_id, self._label, event, payload)
            )

    def _send_to(self, connection_id: str, event: str, data: Any) -> None:
        """Send ``event`` to one browser connection only: not broadcast, not logged."""
        outbound = self._outbound(event, data)
        if outbound is not None:
            sink, payload = outbound
            self._runtime.schedule(lambda: sink.send_to(connection_id, self._label, event, payload))

    def _outbound(self, event: str, data: Any) -> tuple[Sink, Any] | None:
        """The sink and JSON payload of an outgoing event; ``None`` before the server starts."""
        validate_event_name(event)
        payload = _jsonable_event_data(event, data)
        sink = self._runtime.sink
        if sink is None:
            logger.debug("%r on %r before the server started: dropped", event, self._label)
            return None
        return sink, payload

    def upload(self, file_id: str) -> uploads.UploadedFile:
        """A file a ``FileInput`` of this widget uploaded (``data["files"][i]["id"]``),
        inside the sync callback of its event: ``.open()``, ``.read()``, ``.pieces()``."""
        return uploads.get(file_id, runtime=self._runtime)

    async def upload_async(self, file_id: str) -> uploads.UploadedFile:
        """:meth:`upload` for async callbacks (``.read_async()``, ``.pieces_async()``)."""
        return await uploads.get_async(file_id, runtime=self._runtime)

    def download(
        self, source: downloads.DownloadSource, filename: str, media_type: str | None = None
    ) -> None:
        """Offer a file of any size to the viewer being answered (inside a sync callback).

        ``source`` is ``bytes``, a path (``pathlib.Path``) or an iterator of ``bytes``. It
        is stored in the state backend in chunks as it is read; then the viewer's page
        gets a short-lived URL signed for its session, which any worker streams. Raises
        :class:`~pywry.errors.DownloadError` outside a callback, on the event loop (use
        :meth:`download_async`) and over ``PYWRY_DEPLOY__DOWNLOAD_MAX_BYTES``.
        """
        downloads.download(self._runtime, self._label, source, filename, media_type)

    async def download_async(
        self, source: downloads.DownloadSource, filename: str, media_type: str | None = None
    ) -> None:
        """:meth:`download` for async callbacks (files and iterators are read off the loop)."""
        await downloads.download_async(self._runtime, self._label, source, filename, media_type)

    def alert(
        self,
        message: str,
        type: AlertKind = "info",
        *,
        title: str | None = None,
        duration_ms: int = 4000,
        reply_event: str | None = None,
    ) -> None:
        """Show a toast in every browser viewing this widget.

        ``type="confirm"`` shows OK and Cancel buttons and stays until one is clicked;
        the click emits ``reply_event`` (your own ``namespace:name``) to Python with
        ``{"confirmed": bool, "message": message}``.
        """
        if type == "confirm":
            if reply_event is None:
                raise InvalidEventError(
                    "alert(type='confirm') needs reply_event='namespace:name' to receive "
                    "the answer, for example reply_event='app:delete-confirmed'"
                )
            check_user_event(reply_event)
        elif reply_event is not None:
            raise InvalidEventError("reply_event is only used with type='confirm'")
        self.emit(
            "pywry:alert",
            {
                "message": message,
                "type": type,
                "title": title,
                "duration": duration_ms,
                "replyEvent": reply_event,
            },
        )

    def update(self, content: str) -> None:
        """Replace the widget's HTML content, in open browsers and for new page loads.

        Inside a callback: for the viewer being answered only.
        """
        if self._for_everyone():
            self.content = content
            self._save()
        self.emit("pywry:set-content", {"html": content})

    def set_theme(self, theme: Literal["light", "dark", "system"]) -> None:
        """Switch open browsers' theme; ``"system"`` follows ``prefers-color-scheme``.

        Also the theme of new page loads. Pages follow the system by default.
        """
        if theme not in ("light", "dark", "system"):
            raise ValueError(f"theme must be 'light', 'dark' or 'system', got {theme!r}")
        if self._for_everyone():
            self.payload["theme"] = theme
            self._save()
        self.emit("pywry:update-theme", {"theme": theme})

    def set_toolbar_value(self, component_id: str, value: Any = None, **changes: Any) -> None:
        """Set a toolbar component's value (and ``options``/``label``/``disabled``).

        A ``SecretInput``'s value stays in Python (the page only learns it is set).
        What ``value`` means per component: ``docs/toolbar.md``.
        """
        change = {"componentId": component_id, "value": value, **changes}
        self.emit("toolbar:set-value", self._toolbar_session.outgoing(change))

    def set_toolbar_values(self, values: Mapping[str, Any]) -> None:
        """Set several toolbar components' values at once: ``{component_id: value}``."""
        self.emit("toolbar:set-values", {"values": self._toolbar_session.outgoing_values(values)})

    def request_toolbar_state(
        self,
        callback: Callable[[ToolbarState], Any] | None = None,
        *,
        timeout: float | None = 10.0,
    ) -> Future[ToolbarState]:
        """Ask the browsers for every toolbar component's value: ``{componentId: value}``.

        Returns a ``concurrent.futures.Future`` resolved by the first browser that
        answers (``TimeoutError`` after ``timeout`` seconds without one). In a sync
        callback: ``widget.request_toolbar_state().result(timeout=5)``; in an async
        one: ``await asyncio.wrap_future(widget.request_toolbar_state())``; or pass
        ``callback``, which is called with the state in the callback thread pool.
        """
        return self._toolbar_session.request_state(callback, timeout=timeout)

    def toolbar_secret(self, component_id: str) -> str | None:
        """The value of the ``SecretInput`` ``component_id``, held in this process only."""
        return self._toolbar_session.secret(component_id)

    def close(self) -> None:
        """Remove the widget: browsers are told, new page loads get 404."""
        self._runtime.forget(self._label)
        sink = self._runtime.sink
        if sink is not None:
            self._runtime.schedule(lambda: sink.discard(self._label))

    # -- state -----------------------------------------------------------------
    def to_record(self) -> WidgetRecord:
        """The record every worker sees (content, toolbars, payload, owner)."""
        toolbars = [{"position": bar.position, "html": bar.render()} for bar in self.toolbars]
        payload: dict[str, Any] = {**self.payload, "toolbars": toolbars}
        pickers = [picker.model_dump(mode="json") for picker in file_inputs(self)]
        if pickers:
            payload[RECORD_KEY] = pickers
        return WidgetRecord(
            widget_id=self._label,
            kind=self.kind,
            title=self.title,
            content=self.content,
            payload=payload,
            owner=self.owner,
            roles=sorted(self.access.roles),
            private_to=self.access.private_to,
        )

    @property
    def page_version(self) -> tuple[int, str, str]:
        """Changes whenever the page would: a saved change, or a new title or content."""
        return (self.revision, self.title, self.content)

    def _save(self) -> None:
        self.revision += 1
        sink = self._runtime.sink
        if sink is not None:
            record = self.to_record()
            self._runtime.schedule(lambda: sink.save(record))
