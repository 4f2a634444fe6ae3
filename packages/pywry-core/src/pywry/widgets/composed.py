"""Pages that show several widgets, over one WebSocket.

A composed page is the head's asset tags and bootstrap (:func:`head_html`) and one
fragment per widget (:func:`embed_fragment`), placed by :func:`render_composed` in
order, or by an app's own template wherever it likes. Each fragment carries its
widget's settings as a JSON data element; ``bridge.js`` finds the fragments, gives each
widget its own API and opens one socket for all of them: ``/pywry/ws?widgets=a,b``.
Frames name the widget they are for (``label``). The single-widget page
(:mod:`pywry.widgets.page`) is unchanged.

A fragment has no element ids of its own (only classes), so two widgets of the same
kind can share a page; component ids of toolbars are looked up within their widget.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from pywry.widgets.page import (
    PerVersion,
    asset_tags,
    page_config,
    page_theme,
    script_json,
    widget_layout,
)

if TYPE_CHECKING:
    from pywry.runtime import LocalWidget, Runtime
    from pywry.state.records import WidgetRecord

__all__ = [
    "ALL_KINDS",
    "MAX_PAGE_WIDGETS",
    "PAGE_SOCKET_PATH",
    "Part",
    "check_labels",
    "embed_fragment",
    "head_html",
    "local_part",
    "page_parts",
    "render_composed",
]

#: The socket every composed page opens (``pywry_server``'s ``page_socket``).
PAGE_SOCKET_PATH = "/pywry/ws"
#: The most widgets one page may show (and one socket may follow).
MAX_PAGE_WIDGETS = 32
ALL_KINDS = ("html", "plotly", "dataframe")


def check_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """The labels of one page, in order; a clear ``ValueError`` for what cannot be one."""
    if not labels:
        raise ValueError("A page needs at least one widget label")
    if len(labels) > MAX_PAGE_WIDGETS:
        raise ValueError(f"A page shows at most {MAX_PAGE_WIDGETS} widgets, got {len(labels)}")
    seen: set[str] = set()
    for label in labels:
        if not isinstance(label, str) or not label:
            raise ValueError(f"Widget labels are non-empty strings, got {label!r}")
        if label in seen:
            raise ValueError(f"Widget {label!r} is named twice; a page shows each widget once")
        seen.add(label)
    return tuple(labels)


def head_html(kinds: Iterable[str] = ALL_KINDS, *, theme: str = "system") -> str:
    """The ``<head>`` part of a composed page: stylesheets, the bootstrap and the scripts
    (deferred: they run once the widgets' fragments are parsed) for widgets of ``kinds``."""
    styles, theme_js, scripts = asset_tags(tuple(sorted(set(kinds))), defer=True)
    config = {"page": True, "wsPath": PAGE_SOCKET_PATH, "theme": theme}
    return (
        f"{styles}"
        f'<script type="application/json" id="pywry-config">{script_json(config)}</script>'
        f"{theme_js}{scripts}"
    )


def embed_fragment(record: WidgetRecord, *, widget_prefix: str) -> str:
    """One widget (its toolbars and content) as a fragment of a composed page."""
    config = page_config(record, widget_prefix=widget_prefix)
    label = html.escape(record.widget_id)
    return (
        f'<section class="pywry-widget" data-pywry-label="{label}" '
        f'data-pywry-kind="{html.escape(record.kind)}">'
        f'<script type="application/json" class="pywry-widget-config">{script_json(config)}'
        f"</script>{widget_layout(record, ids=False)}</section>"
    )


class Part(NamedTuple):
    """One widget of a composed page: its fragment, and what the page takes from it."""

    fragment: str
    kind: str
    theme: str
    title: str


def _part(record: WidgetRecord, widget_prefix: str) -> Part:
    fragment = embed_fragment(record, widget_prefix=widget_prefix)
    return Part(fragment, record.kind, page_theme(record), record.title or record.widget_id)


_parts: PerVersion[Part] = PerVersion(_part)


def local_part(widget: LocalWidget, *, widget_prefix: str) -> Part:
    """The part of a widget of this process, rendered once per version of it."""
    return _parts.get(widget, widget_prefix)


async def page_parts(runtime: Runtime, labels: Sequence[str], *, widget_prefix: str) -> list[Part]:
    """The part of each widget, from this process or the shared state."""
    parts: list[Part] = []
    for label in check_labels(labels):
        widget = runtime.get(label)
        if widget is not None:
            parts.append(local_part(widget, widget_prefix=widget_prefix))
        else:
            parts.append(_part(await runtime.find_record(label), widget_prefix))
    return parts


def render_composed(parts: Sequence[Part], *, title: str = "") -> str:
    """The complete document showing ``parts`` (from :func:`page_parts`) in order; the
    page takes its theme, and without ``title`` its title, from the first widget."""
    theme = parts[0].theme if parts else "system"
    title = title or (parts[0].title if parts else "PyWry")
    theme_attr = f' data-theme="{theme}"' if theme != "system" else ""
    head = head_html({part.kind for part in parts}, theme=theme)
    body = "".join(part.fragment for part in parts)
    return (
        "<!doctype html>\n"
        f'<html lang="en"{theme_attr}><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{html.escape(title)}</title>{head}</head>"
        f'<body class="pywry-page"><div class="pywry-page-widgets">{body}</div>'
        '<div class="pywry-toasts" id="pywry-toasts" aria-live="polite"></div></body></html>'
    )
