"""Plotly figures: conversion to the JSON plotly.js draws, and the chart widget.

The figure is served from the widget's data URL (``pywry.widgets.data``), not inlined
into the page; numpy arrays travel as plotly's base64 typed arrays (``bdata``), so a
million-point ``scattergl`` is about 8 bytes per number, fetched once and cached.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pywry import _json
from pywry.widgets.data import DataWidget

__all__ = [
    "WEBGL_TRACES",
    "PlotlyWidget",
    "figure_to_dict",
    "theme_templates",
    "warn_blocked_webgl",
    "webgl_traces",
]

logger = logging.getLogger("pywry.plotly")

#: Trace types plotly.js draws with WebGL: they generate code at run time, so a page
#: showing one needs ``PYWRY_SERVER__CSP_ALLOW_EVAL=true`` (``docs/security.md``).
WEBGL_TRACES = frozenset(
    {
        "scattergl",
        "scatterpolargl",
        "splom",
        "parcoords",
        "scatter3d",
        "surface",
        "mesh3d",
        "cone",
        "streamtube",
        "isosurface",
        "volume",
    }
)

_FALLBACK = {
    "light": {"layout": {"font": {"color": "#1f2328"}, "plot_bgcolor": "#ffffff"}},
    "dark": {
        "layout": {
            "font": {"color": "#e6edf3"},
            "plot_bgcolor": "#0d1117",
            "xaxis": {"gridcolor": "#30363d", "zerolinecolor": "#30363d"},
            "yaxis": {"gridcolor": "#30363d", "zerolinecolor": "#30363d"},
        }
    },
}


def figure_to_dict(figure: Any) -> dict[str, Any]:
    """``{"data": [...], "layout": {...}}`` from a Figure, a ``to_dict()``-able or a mapping."""
    if hasattr(figure, "to_plotly_json"):
        raw: Any = figure.to_plotly_json()
    elif hasattr(figure, "to_dict"):
        raw = figure.to_dict()
    elif isinstance(figure, Mapping):
        raw = dict(figure)
    else:
        raise TypeError(
            f"show_plotly() needs a plotly Figure or a dict with 'data' and 'layout', "
            f"got {type(figure).__name__}"
        )
    result = _json.to_jsonable(raw)
    if not isinstance(result, dict):
        raise TypeError("A Plotly figure must convert to a JSON object")
    result.setdefault("data", [])
    result.setdefault("layout", {})
    return result


def webgl_traces(figure: Mapping[str, Any]) -> list[str]:
    """The WebGL trace types ``figure`` uses (sorted, each once)."""
    data = figure.get("data") or []
    kinds = {trace.get("type") for trace in data if isinstance(trace, Mapping)}
    return sorted(kind for kind in kinds if isinstance(kind, str) and kind in WEBGL_TRACES)


def warn_blocked_webgl(figure: Mapping[str, Any], name: str | None, *, allowed: bool) -> None:
    """Log a warning when ``figure`` has WebGL traces that pages will refuse to draw."""
    kinds = webgl_traces(figure)
    if kinds and not allowed:
        logger.warning(
            "Chart %r uses WebGL traces %s, which PyWry pages refuse by default "
            "(Content-Security-Policy without 'unsafe-eval'); set "
            "PYWRY_SERVER__CSP_ALLOW_EVAL=true to draw them (docs/security.md)",
            name,
            kinds,
        )


def theme_templates(figure: Mapping[str, Any], mode: bool | None) -> dict[str, Any] | None:
    """The Plotly templates the page swaps in for the light and dark themes, or ``None``.

    ``mode=None`` (auto) themes figures whose template is plotly's default (or unset)
    and leaves a figure's explicitly chosen template alone; ``True`` always themes,
    ``False`` never. The templates are plotly's ``plotly_white`` and ``plotly_dark``
    with a transparent paper, so the page background shows through.
    """
    if mode is False:
        return None
    try:
        import plotly.io as pio
    except ImportError:
        return copy.deepcopy(_FALLBACK)
    if mode is None:
        own = figure.get("layout", {}).get("template")
        default = pio.templates[pio.templates.default].to_plotly_json()
        if own is not None and own != _json.to_jsonable(default):
            return None
    templates: dict[str, Any] = {}
    for theme, name in (("light", "plotly_white"), ("dark", "plotly_dark")):
        template = _json.to_jsonable(pio.templates[name].to_plotly_json())
        layout = template.setdefault("layout", {})
        layout["paper_bgcolor"] = "rgba(0,0,0,0)"
        templates[theme] = template
    return templates


class PlotlyWidget(DataWidget):
    """A widget showing a Plotly figure. Payloads of its events: ``docs/protocol.md``."""

    kind = "plotly"

    @property
    def figure(self) -> dict[str, Any]:
        """The current figure as plotly.js JSON (``{"data": [...], "layout": {...}}``)."""
        figure: dict[str, Any] = self.payload.setdefault("figure", {"data": [], "layout": {}})
        return figure

    def update_figure(self, figure: Any, *, config: Mapping[str, Any] | None = None) -> None:
        """Replace the whole figure (and, when given, the plotly.js ``config``).

        Inside a callback: for the viewer being answered only (the figure travels
        inline; the stored figure and new page loads are unchanged).
        """
        new_figure = figure_to_dict(figure)
        new_config = self.payload.get("config", {})
        if config is not None:
            new_config = _json.to_jsonable(dict(config))
        if not self._for_everyone():
            self.emit("plotly:update-figure", {"figure": new_figure, "config": new_config})
            return
        self.payload["figure"] = new_figure
        self.payload["config"] = new_config
        self._changed()
        self.emit("plotly:update-figure", self._update_event(figure=new_figure, config=new_config))

    def update_layout(self, layout: Mapping[str, Any] | None = None, **changes: Any) -> None:
        """Change the layout (``Plotly.relayout``): ``update_layout(title="Q2")``.

        Keys may be plotly's attribute strings (``"xaxis.range"``) or nested dicts;
        nested dicts are merged into the stored figure.
        """
        update = _titles(_json.to_jsonable({**dict(layout or {}), **changes}))
        if self._for_everyone():
            _merge(self.figure.setdefault("layout", {}), update)
            self._changed()
        self.emit("plotly:update-layout", {"layout": update})

    def update_traces(
        self,
        update: Mapping[str, Any] | None = None,
        indices: Sequence[int] | None = None,
        **changes: Any,
    ) -> None:
        """Restyle traces (``Plotly.restyle``): all of them, or those at ``indices``.

        ``update_traces(marker={"color": "red"}, indices=[0])``.
        """
        change = _json.to_jsonable({**dict(update or {}), **changes})
        traces: list[dict[str, Any]] = self.figure.setdefault("data", [])
        chosen = range(len(traces)) if indices is None else list(indices)
        for index in chosen:  # check every index before changing any trace
            if not 0 <= index < len(traces):
                raise IndexError(f"trace {index} out of range: the figure has {len(traces)}")
        if self._for_everyone():
            for index in chosen:
                _merge(traces[index], change)
            self._changed()
        self.emit(
            "plotly:update-traces",
            {"update": change, "indices": None if indices is None else list(chosen)},
        )

    def reset_zoom(self) -> None:
        """Autorange every axis in open browsers (the stored figure is unchanged)."""
        self.emit("plotly:reset-zoom", {})


def _titles(layout: dict[str, Any]) -> dict[str, Any]:
    """plotly.js 3+ wants ``title: {text}``; accept plotly.py's ``title="..."`` too."""
    out: dict[str, Any] = {}
    for key, value in layout.items():
        if key.rsplit(".", 1)[-1] == "title" and isinstance(value, str):
            value = {"text": value}
        elif isinstance(value, dict) and not key.endswith("title"):
            value = _titles(value)
        out[key] = value
    return out


def _merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    """Merge ``update`` into ``target``; ``"a.b"`` keys and nested dicts both go deep."""
    for key, value in update.items():
        node, parts = target, key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            _merge(node[last], value)
        else:
            node[last] = value
