"""The widget object returned by ``show()``, ``show_plotly()`` and ``show_dataframe()``."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from pywry import _json
from pywry.callbacks import Callback, invoke_all
from pywry.errors import InvalidEventError
from pywry.state.records import WidgetRecord
from pywry.toolbar.session import ToolbarSession

if TYPE_CHECKING:
    from concurrent.futures import Future

    from pywry.runtime import Runtime, Sink
    from pywry.toolbar import Toolbar
    from pywry.toolbar.session import ToolbarState

__all__ = ["EVENT_PATTERN", "MAX_EVENT_BYTES", "Widget", "validate_event_name"]

logger = logging.getLogger("pywry.widget")

#: ``namespace:name``; the name may itself contain ``:`` (``grid:cell-click``).
EVENT_PATTERN = re.compile(r"^[A-Za-z0-9_\-]+:[A-Za-z0-9_\-:.]+$")
AlertKind = Literal["info", "success", "warning", "error", "confirm"]
#: Largest event a widget sends (its JSON), in bytes: each is logged for replay and
#: sent to every viewer, so bigger data belongs in a route or the widget's data.
MAX_EVENT_BYTES = 4 * 1024 * 1024


def validate_event_name(event: str) -> str:
    """Return ``event`` if it looks like ``namespace:name``, else raise."""
    if not isinstance(event, str) or len(event) > 128 or not EVENT_PATTERN.match(event):
        raise InvalidEventError(
            f"Invalid event name {event!r}: expected 'namespace:name' "
            "(letters, digits, '_' and '-'), for example 'chart:region'"
        )
    return event


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
    """A widget shown to browsers. Every browser viewing it shares its events.

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
    ) -> None:
        self._runtime = runtime
        self._label = label
        self.title = title
        self.content = content
        self.toolbars = list(toolbars)
        self.payload: dict[str, Any] = dict(payload or {})
        self.owner = owner
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

    @property
    def events(self) -> list[str]:
        """Events that have callbacks."""
        return sorted(self._callbacks)

    async def dispatch(self, event: str, data: Any, *, origin: str | None = None) -> int:
        """Run the callbacks of ``event`` (one failing never stops the others).

        ``origin`` is the id of the browser connection that sent the event (the
        server passes it; answers meant for that page alone go back to it).
        Returns the number of callbacks that ran.
        """
        await self._toolbar_session.receive(event, data, origin=origin)
        callbacks = list(self._callbacks.get(event, ()))
        await invoke_all(callbacks, data, event, self._label, executor=self._runtime.executor)
        return len(callbacks)

    # -- events to browsers ----------------------------------------------------
    def emit(self, event: str, data: Any = None) -> None:
        """Send ``event`` with ``data`` to every browser viewing this widget.

        Safe to call from callbacks (sync or async) and from any thread. ``data``
        must be JSON-serialisable (numpy, pandas and dates are converted).
        """
        outbound = self._outbound(event, data)
        if outbound is not None:
            sink, payload = outbound
            self._runtime.schedule(lambda: sink.emit(self._label, event, payload))

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
            from pywry.toolbar.base import check_user_event

            try:
                check_user_event(reply_event)
            except ValueError as exc:
                raise InvalidEventError(str(exc)) from exc
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
        """Replace the widget's HTML content, in open browsers and for new page loads."""
        self.content = content
        self._save()
        self.emit("pywry:set-content", {"html": content})

    def set_theme(self, theme: Literal["light", "dark", "system"]) -> None:
        """Switch open browsers' theme; ``"system"`` follows ``prefers-color-scheme``.

        Also the theme of new page loads. Pages follow the system by default.
        """
        if theme not in ("light", "dark", "system"):
            raise ValueError(f"theme must be 'light', 'dark' or 'system', got {theme!r}")
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
        return WidgetRecord(
            widget_id=self._label,
            kind=self.kind,
            title=self.title,
            content=self.content,
            payload={**self.payload, "toolbars": toolbars},
            owner=self.owner,
        )

    def _save(self) -> None:
        sink = self._runtime.sink
        if sink is not None:
            record = self.to_record()
            self._runtime.schedule(lambda: sink.save(record))
