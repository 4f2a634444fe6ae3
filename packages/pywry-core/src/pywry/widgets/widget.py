"""The widget object returned by ``show()``, ``show_plotly()`` and ``show_dataframe()``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from pywry import _json
from pywry.callbacks import Callback, invoke_all
from pywry.errors import InvalidEventError
from pywry.state.records import WidgetRecord

if TYPE_CHECKING:
    from pywry.runtime import Runtime
    from pywry.toolbar import Toolbar

__all__ = ["EVENT_PATTERN", "PlotlyWidget", "Widget", "validate_event_name"]

logger = logging.getLogger("pywry.widget")

#: ``namespace:name``; the name may itself contain ``:`` (``grid:cell-click``).
EVENT_PATTERN = re.compile(r"^[A-Za-z0-9_\-]+:[A-Za-z0-9_\-:.]+$")
AlertKind = Literal["info", "success", "warning", "error"]


def validate_event_name(event: str) -> str:
    """Return ``event`` if it looks like ``namespace:name``, else raise."""
    if not isinstance(event, str) or len(event) > 128 or not EVENT_PATTERN.match(event):
        raise InvalidEventError(
            f"Invalid event name {event!r}: expected 'namespace:name' "
            "(letters, digits, '_' and '-'), for example 'chart:region'"
        )
    return event


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

    async def dispatch(self, event: str, data: Any) -> int:
        """Run the callbacks of ``event`` (one failing never stops the others).

        Returns the number of callbacks that ran.
        """
        callbacks = list(self._callbacks.get(event, ()))
        await invoke_all(callbacks, data, event, self._label, executor=self._runtime.executor)
        return len(callbacks)

    # -- events to browsers ----------------------------------------------------
    def emit(self, event: str, data: Any = None) -> None:
        """Send ``event`` with ``data`` to every browser viewing this widget.

        Safe to call from callbacks (sync or async) and from any thread. ``data``
        must be JSON-serialisable (numpy, pandas and dates are converted).
        """
        validate_event_name(event)
        payload = _json.to_jsonable(data)
        sink = self._runtime.sink
        if sink is None:
            logger.debug("emit(%r) on %r before the server started: dropped", event, self._label)
            return
        self._runtime.schedule(lambda: sink.emit(self._label, event, payload))

    def alert(
        self,
        message: str,
        type: AlertKind = "info",
        *,
        title: str | None = None,
        duration_ms: int = 4000,
    ) -> None:
        """Show a toast in every browser viewing this widget."""
        self.emit(
            "pywry:alert",
            {"message": message, "type": type, "title": title, "duration": duration_ms},
        )

    def update(self, content: str) -> None:
        """Replace the widget's HTML content, in open browsers and for new page loads."""
        self.content = content
        self._save()
        self.emit("pywry:set-content", {"html": content})

    def set_toolbar_value(self, component_id: str, value: Any = None, **changes: Any) -> None:
        """Set a toolbar component's value (and ``options``/``label``/``disabled``)."""
        self.emit("toolbar:set-value", {"componentId": component_id, "value": value, **changes})

    def set_toolbar_values(self, values: Mapping[str, Any]) -> None:
        """Set several toolbar components' values at once: ``{component_id: value}``."""
        self.emit("toolbar:set-values", {"values": dict(values)})

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


class PlotlyWidget(Widget):
    """A widget showing a Plotly figure."""

    kind = "plotly"

    def update_figure(self, figure: Any) -> None:
        """Replace the whole figure (a ``plotly.graph_objects.Figure`` or a dict)."""
        from pywry.widgets.plotly import figure_to_dict

        self.payload["figure"] = figure_to_dict(figure)
        self._save()
        self.emit("plotly:update-figure", {"figure": self.payload["figure"]})

    def update_layout(self, layout: Mapping[str, Any]) -> None:
        """Merge ``layout`` into the figure's layout (``Plotly.relayout``)."""
        layout = _json.to_jsonable(dict(layout))
        self.payload.setdefault("figure", {}).setdefault("layout", {}).update(layout)
        self._save()
        self.emit("plotly:update-layout", {"layout": layout})
