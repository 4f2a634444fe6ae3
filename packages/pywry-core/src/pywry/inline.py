"""The user-facing functions of deploy mode.

``show()``, ``show_plotly()`` and ``show_dataframe()`` register widgets (no browser
opens in deploy mode); ``get_widget_html()`` / ``get_widget_html_async()`` return a
widget's page, ``get_page_html()`` one page showing several, ``head_html()`` and
``embed_html()`` the parts an app's own template places; ``get_server_app()`` returns
the FastAPI app and ``deploy()`` runs it.

Every ``show*()`` takes ``roles=[...]`` (a viewer's session needs one of them) and
``private=True`` (only the session that creates the widget sees it);
``set_access_check()`` plugs an app's own rule. See :mod:`pywry.access`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pywry._labels import derive_label, validate_label
from pywry._startup import (
    STARTUP_ERRORS,
    check_workers,
    exit_if_worker,
    install_excepthook,
    probe_or_defer,
)
from pywry.access import (
    AccessCheck,
    AccessRequest,
    creator_session,
    normalise_roles,
    session_digest,
    set_access_check,
)
from pywry.callbacks import Callback
from pywry.config import PyWrySettings, load_settings
from pywry.errors import WidgetNotFoundError
from pywry.registry import ServerPlugin, load_server, load_state_backend
from pywry.runtime import current_runtime
from pywry.state import get_worker_id
from pywry.widgets.composed import (
    ALL_KINDS,
    check_labels,
    local_part,
    page_parts,
    render_composed,
)
from pywry.widgets.composed import head_html as _head_html
from pywry.widgets.dataframe import DEFAULT_JOINER, dataframe_to_table
from pywry.widgets.grid import DataFrameWidget, Selection, grid_options
from pywry.widgets.page import local_page, widget_page
from pywry.widgets.plotly import (
    PlotlyWidget,
    figure_to_dict,
    theme_templates,
    warn_blocked_webgl,
)
from pywry.widgets.widget import Widget

if TYPE_CHECKING:  # types only: core never imports FastAPI (pywry-server provides it)
    from fastapi import FastAPI

    from pywry.toolbar import Toolbar

__all__ = [
    "AccessCheck",
    "AccessRequest",
    "deploy",
    "embed_html",
    "embed_html_async",
    "get_page_html",
    "get_page_html_async",
    "get_server_app",
    "get_widget_html",
    "get_widget_html_async",
    "head_html",
    "set_access_check",
    "show",
    "show_dataframe",
    "show_plotly",
]

Callbacks = Mapping[str, Callback]
W = TypeVar("W", bound=Widget)
_server_state: dict[str, Any] = {}


def _register(
    cls: type[W],
    *,
    kind: str,
    title: str,
    label: str | None,
    content: str,
    toolbars: Sequence[Toolbar] | None,
    callbacks: Callbacks | None,
    payload: dict[str, Any],
    roles: Sequence[str] | None,
    private: bool,
) -> W:
    allowed = normalise_roles(roles)
    private_to = session_digest(creator_session()) if private else None
    runtime = current_runtime()
    serving = runtime.serving
    chosen = validate_label(label) if label else derive_label(kind, title, unique=serving)
    widget = cls(
        runtime,
        label=chosen,
        title=title,
        content=content,
        toolbars=list(toolbars or ()),
        callbacks=callbacks,
        payload=payload,
        owner=get_worker_id() if serving else None,
        roles=allowed,
        private_to=private_to,
    )
    runtime.add(widget)
    return widget


def show(
    content: str,
    *,
    title: str = "",
    label: str | None = None,
    toolbars: Sequence[Toolbar] | None = None,
    callbacks: Callbacks | None = None,
    roles: Sequence[str] | None = None,
    private: bool = False,
) -> Widget:
    """Register an HTML widget. ``content`` is trusted HTML (it is not escaped).

    ``roles``: only viewers whose session has at least one of them see it (page, data,
    socket, events). ``private``: only the session creating it (in a callback, the
    viewer's; in a request handler, the request's); elsewhere
    :class:`~pywry.errors.AccessError`. Both apply to every ``show*()``.
    """
    if not isinstance(content, str):
        raise TypeError(f"show() needs an HTML string, got {type(content).__name__}")
    return _register(
        Widget,
        kind="html",
        title=title,
        label=label,
        content=content,
        toolbars=toolbars,
        callbacks=callbacks,
        payload={},
        roles=roles,
        private=private,
    )


def show_plotly(
    fig: Any,
    *,
    title: str = "",
    label: str | None = None,
    toolbars: Sequence[Toolbar] | None = None,
    callbacks: Callbacks | None = None,
    config: Mapping[str, Any] | None = None,
    theme_template: bool | None = None,
    roles: Sequence[str] | None = None,
    private: bool = False,
) -> PlotlyWidget:
    """Register a Plotly chart. ``config`` is plotly.js's config (``displaylogo`` etc.).

    The figure is fetched by the page from the widget's data URL (cached by the
    browser), not inlined into the HTML. ``theme_template``: ``None`` (default) swaps
    in light/dark templates with the page theme unless the figure chose its own
    template; ``True`` always; ``False`` never. ``roles``, ``private``: as :func:`show`.
    """
    figure = figure_to_dict(fig)
    warn_blocked_webgl(figure, title or label, allowed=_settings().server.csp_allow_eval)
    return _register(
        PlotlyWidget,
        kind="plotly",
        title=title,
        label=label,
        content='<div class="pywry-plot" id="pywry-plot"></div>',
        toolbars=toolbars,
        callbacks=callbacks,
        payload={
            "figure": figure,
            "config": dict(config or {}),
            "templates": theme_templates(figure, theme_template),
        },
        roles=roles,
        private=private,
    )


def show_dataframe(
    df: Any,
    *,
    title: str = "",
    label: str | None = None,
    toolbars: Sequence[Toolbar] | None = None,
    callbacks: Callbacks | None = None,
    index: bool | None = None,
    column_joiner: str = DEFAULT_JOINER,
    editable: bool | Sequence[str] = False,
    selection: Selection = "multiple",
    csv_filename: str | None = None,
    roles: Sequence[str] | None = None,
    private: bool = False,
) -> DataFrameWidget:
    """Register an interactive grid of a pandas DataFrame (or a list of dicts).

    Sorting, header filters, column resize, row selection and CSV export work in
    the browser; ``editable`` (``True`` or a list of column names) allows cell
    editing. ``index``: ``None`` shows the index unless it is a default
    ``RangeIndex``. MultiIndex columns are joined with ``column_joiner``. Rows are
    fetched from the widget's data URL (virtual scrolling keeps 100,000 rows
    responsive). Events and payloads: ``docs/grid.md``. ``roles``, ``private``: as
    :func:`show`.
    """
    table = dataframe_to_table(df, index=index, column_joiner=column_joiner)
    options = grid_options(
        editable=editable,
        selection=selection,
        csv_filename=csv_filename or f"{title or 'data'}.csv",
        index=index,
        column_joiner=column_joiner,
    )
    return _register(
        DataFrameWidget,
        kind="dataframe",
        title=title,
        label=label,
        content='<div class="pywry-grid" id="pywry-grid"></div>',
        toolbars=toolbars,
        callbacks=callbacks,
        payload={"table": table, "options": options},
        roles=roles,
        private=private,
    )


def _settings() -> PyWrySettings:
    """The settings the app was built with; read afresh only before there is an app."""
    settings = _server_state.get("settings")
    return settings if isinstance(settings, PyWrySettings) else load_settings()


def _prefix() -> str:
    return _settings().server.widget_prefix


async def get_widget_html_async(label: str) -> str:
    """The full HTML page of widget ``label``, from this worker or the shared state."""
    return await widget_page(current_runtime(), label, widget_prefix=_prefix())


def get_widget_html(label: str) -> str:
    """Synchronous :func:`get_widget_html_async`, for code outside the event loop."""
    runtime = current_runtime()
    widget = runtime.get(label)
    if widget is not None:
        return local_page(widget, widget_prefix=_prefix())
    if runtime.sink is None:
        raise WidgetNotFoundError(label)
    return runtime.run_blocking(lambda: get_widget_html_async(label))


async def get_page_html_async(*labels: str, title: str = "") -> str:
    """One page showing the widgets ``labels`` in order, with one WebSocket for all.

    Each widget keeps its toolbars; the page takes its theme and, without ``title``, its
    title from the first widget. Widgets of this worker or, from the shared state, any
    other. Raises ``ValueError`` for no label, a repeated one or more than 32, and
    :class:`~pywry.errors.WidgetNotFoundError` for an unknown one. See ``docs/pages.md``.
    """
    parts = await page_parts(current_runtime(), labels, widget_prefix=_prefix())
    return render_composed(parts, title=title)


def get_page_html(*labels: str, title: str = "") -> str:
    """Synchronous :func:`get_page_html_async`, for code outside the event loop."""
    runtime = current_runtime()
    prefix = _prefix()
    local = [runtime.get(label) for label in check_labels(labels)]
    if all(widget is not None for widget in local):
        parts = [local_part(widget, widget_prefix=prefix) for widget in local if widget]
        return render_composed(parts, title=title)
    if runtime.sink is None:
        raise WidgetNotFoundError(labels[local.index(None)])
    return runtime.run_blocking(lambda: get_page_html_async(*labels, title=title))


def head_html(*labels: str, theme: str = "system") -> str:
    """The asset tags and bootstrap of a page that places widgets with :func:`embed_html`.

    Put it in the template's ``<head>``; its scripts are deferred, so they run once the
    widgets below are parsed, and open one WebSocket for every widget on the page. With
    ``labels``, only the assets those widgets need (all, if one is not of this worker).
    """
    runtime = current_runtime()
    kinds = [getattr(runtime.get(label), "kind", None) for label in labels]
    wanted = ALL_KINDS if not labels or None in kinds else [str(kind) for kind in kinds]
    return _head_html(wanted, theme=theme)


async def embed_html_async(label: str) -> str:
    """Widget ``label`` (its toolbars and content) as a fragment for the app's own
    template, beside other widgets; the page's ``<head>`` needs :func:`head_html`."""
    parts = await page_parts(current_runtime(), [label], widget_prefix=_prefix())
    return parts[0].fragment


def embed_html(label: str) -> str:
    """Synchronous :func:`embed_html_async`, for code outside the event loop."""
    runtime = current_runtime()
    widget = runtime.get(label)
    if widget is not None:
        return local_part(widget, widget_prefix=_prefix()).fragment
    if runtime.sink is None:
        raise WidgetNotFoundError(label)
    return runtime.run_blocking(lambda: embed_html_async(label))


def get_server_app() -> FastAPI:
    """The FastAPI app of this process (created on first call).

    Resolves the server and the state backend at once, so a missing or misnamed one
    fails here, at start-up, with a :class:`~pywry.errors.ConfigurationError`; so do
    several workers on a backend that is not shared. The backend is opened and pinged
    once, so an unreachable one raises ``BackendUnavailableError`` here too (except in a
    worker that replaces one of a server that has been up: it starts and joins the
    backend when it returns, see ``docs/deployment.md``). In a worker process the error ends
    the process with one line and status 3, which stops uvicorn's supervisor (see
    ``docs/cli.md``). Sets ``PYWRY_HEADLESS=1``: no browser ever opens.
    """
    if "app" in _server_state:
        app: FastAPI = _server_state["app"]
        return app
    install_excepthook()
    os.environ["PYWRY_HEADLESS"] = "1"
    os.environ.setdefault("PYWRY_DEPLOY_MODE", "1")
    try:
        settings = load_settings()
        backend_cls = load_state_backend(settings.deploy.state_backend)
        check_workers(settings, backend_cls)
        server = load_server()
        probe_or_defer(settings, backend_cls)
    except STARTUP_ERRORS as exc:
        exit_if_worker(exc)
        raise
    app = server.create_app(settings=settings, backend_cls=backend_cls, runtime=current_runtime())
    _server_state.update(app=app, server=server, settings=settings)
    return app


def deploy(app: FastAPI | str | None = None) -> None:
    """Run the app with uvicorn in the foreground, configured from ``PyWrySettings``.

    With ``PYWRY_SERVER__WORKERS`` > 1 or ``PYWRY_SERVER__RELOAD``, uvicorn needs an
    import string: it is derived from the running script (``my_app:app``).
    """
    target = app if app is not None else get_server_app()
    server: ServerPlugin = _server_state.get("server") or load_server()
    server.run(target, settings=_settings())
