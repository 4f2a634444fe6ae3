"""The HTML page that shows one widget.

Layout (styled by ``pywry.css`` and ``toolbar.css``)::

    <div class="pywry-layout">
      header / top toolbars
      <div class="pywry-middle">
        left toolbars
        <main class="pywry-content" id="pywry-content">inside toolbars, content</main>
        right toolbars
      </div>
      bottom / footer toolbars
    </div>

Every script and stylesheet comes from our own server (``/pywry/assets/...``). A
chart's figure and a grid's rows are not inlined: the page's script fetches them
from ``{prefix}/{label}/data?v=<digest>`` (``pywry.widgets.data``). ``theme.js`` runs
in ``<head>`` so the first paint already has the right theme.

No script is inline, so the server's Content-Security-Policy can say
``script-src 'self'``: the page's settings (label, socket and data paths, theme) are a
JSON data element, ``<script type="application/json" id="pywry-config">``, which
browsers never run; ``theme.js`` and ``bridge.js`` read it with ``JSON.parse`` and
``bridge.js`` exposes it as ``window.__PYWRY__``.
"""

from __future__ import annotations

import functools
import html
import json
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pywry.assets import get_asset
from pywry.state.records import WidgetRecord
from pywry.widgets.data import DIGEST_KEY

if TYPE_CHECKING:
    from pywry.runtime import LocalWidget, Runtime

__all__ = [
    "PerVersion",
    "asset_tags",
    "local_page",
    "local_page_bytes",
    "page_config",
    "page_theme",
    "render_page",
    "script_json",
    "widget_layout",
    "widget_page",
]

_KIND_ASSETS: dict[str, tuple[str, ...]] = {
    "plotly": ("plotly.min.js", "plotly-widget.js"),
    "dataframe": ("tabulator.min.js", "grid-widget.js"),
}
_KIND_STYLES: dict[str, tuple[str, ...]] = {
    "dataframe": ("tabulator.min.css", "grid.css"),
}
_THEMES = ("light", "dark", "system")
_BEFORE = ("header", "top")
_AFTER = ("bottom", "footer")


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as ``\\u`` escapes."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _bars(toolbars: list[dict[str, str]], *positions: str) -> str:
    return "".join(bar["html"] for bar in toolbars if bar.get("position") in positions)


@functools.cache
def asset_tags(kinds: tuple[str, ...], *, defer: bool = False) -> tuple[str, str, str]:
    """The stylesheet links, the theme script and the scripts of a page showing widgets
    of ``kinds``; ``defer``: the scripts run once the document is parsed (in ``<head>``).

    Asset URLs carry content hashes fixed for the process, so this is built once per kind.
    """
    styles = "".join(
        f'<link rel="stylesheet" href="{get_asset(name).url}">'
        for name in _unique(
            "pywry.css", "toolbar.css", *(s for k in kinds for s in _KIND_STYLES.get(k, ()))
        )
    )
    theme_js = f'<script src="{get_asset("theme.js").url}"></script>'
    attribute = " defer" if defer else ""
    scripts = "".join(
        f'<script src="{get_asset(name).url}"{attribute}></script>'
        for name in _unique(
            "bridge.js",
            "toolbar.js",
            "progress.js",
            "upload.js",
            *(a for k in kinds for a in _KIND_ASSETS.get(k, ())),
        )
    )
    return styles, theme_js, scripts


def _unique(*names: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def page_config(record: WidgetRecord, *, widget_prefix: str) -> dict[str, Any]:
    """What the page's script needs to know of one widget (``bridge.js``)."""
    label = record.widget_id
    return {
        "label": label,
        "kind": record.kind,
        "wsPath": f"{widget_prefix}/{label}/ws",
        "dataPath": f"{widget_prefix}/{label}/data",
        "uploadPath": f"{widget_prefix}/{label}/upload",
        "dataDigest": record.payload.get(DIGEST_KEY),
    }


def page_theme(record: WidgetRecord) -> str:
    theme = record.payload.get("theme")
    return theme if theme in _THEMES else "system"


def widget_layout(record: WidgetRecord, *, ids: bool) -> str:
    """The widget's toolbars around its content; ``ids``: the element ids of its own page
    (a widget embedded among others has only the classes)."""
    toolbars: list[dict[str, str]] = list(record.payload.get("toolbars", []))
    content_id = ' id="pywry-content"' if ids else ""
    body_id = ' id="pywry-body"' if ids else ""
    return (
        '<div class="pywry-layout">'
        f"{_bars(toolbars, *_BEFORE)}"
        '<div class="pywry-middle">'
        f"{_bars(toolbars, 'left')}"
        f'<main class="pywry-content"{content_id}>{_bars(toolbars, "inside")}'
        f'<div class="pywry-body"{body_id}>{record.content}</div></main>'
        f"{_bars(toolbars, 'right')}"
        "</div>"
        f"{_bars(toolbars, *_AFTER)}"
        "</div>"
    )


def render_page(record: WidgetRecord, *, widget_prefix: str = "/widget") -> str:
    """The complete HTML document for ``record``."""
    label = record.widget_id
    theme = page_theme(record)
    config = {**page_config(record, widget_prefix=widget_prefix), "theme": theme}
    styles, theme_js, scripts = asset_tags((record.kind,))
    theme_attr = f' data-theme="{theme}"' if theme != "system" else ""
    title = html.escape(record.title or label)
    return (
        "<!doctype html>\n"
        f'<html lang="en"{theme_attr}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{title}</title>{styles}"
        f'<script type="application/json" id="pywry-config">{script_json(config)}</script>'
        f"{theme_js}"
        "</head><body>"
        f"{widget_layout(record, ids=True)}"
        '<div class="pywry-toasts" id="pywry-toasts" aria-live="polite"></div>'
        f"{scripts}</body></html>"
    )


T = TypeVar("T")


class PerVersion(Generic[T]):
    """What is made from a widget of this process, made again only when its version
    (``page_version``) or the widget prefix changes; the last one is kept per widget."""

    def __init__(self, make: Callable[[WidgetRecord, str], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[LocalWidget, tuple[Hashable, T]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, widget: LocalWidget, widget_prefix: str) -> T:
        key = (widget.page_version, widget_prefix)
        entry = self._made.get(widget)
        if entry is None or entry[0] != key:
            entry = self._made[widget] = (key, self._make(widget.to_record(), widget_prefix))
        return entry[1]


def _render(record: WidgetRecord, widget_prefix: str) -> tuple[str, bytes]:
    page = render_page(record, widget_prefix=widget_prefix)
    return page, page.encode()  # the bytes: what the server's edge sends as they are


_pages: PerVersion[tuple[str, bytes]] = PerVersion(_render)


def local_page(widget: LocalWidget, *, widget_prefix: str) -> str:
    """The page of a widget of this process, rendered once per version of it."""
    return _pages.get(widget, widget_prefix)[0]


def local_page_bytes(widget: LocalWidget, *, widget_prefix: str) -> bytes:
    """:func:`local_page` encoded, once per version too."""
    return _pages.get(widget, widget_prefix)[1]


async def widget_page(runtime: Runtime, label: str, *, widget_prefix: str) -> str:
    """The page of widget ``label`` as ``runtime`` knows it."""
    widget = runtime.get(label)
    if widget is not None:
        return local_page(widget, widget_prefix=widget_prefix)
    return render_page(await runtime.find_record(label), widget_prefix=widget_prefix)
