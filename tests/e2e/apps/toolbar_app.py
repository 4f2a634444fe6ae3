"""Every toolbar component on one page, each callback answering through the toolbar.

Run by ``tests/e2e/test_toolbar_components.py``: a user action in the browser runs
the callback below (recorded in ``PYWRY_TEST_CALL_LOG``), and the callback changes
the page with ``widget.set_toolbar_value(...)``, so a test sees the round trip.
"""

import datetime as dt
import json
import os

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show
from pywry.toolbar import (
    Button,
    Checkbox,
    DateInput,
    Div,
    Marquee,
    MultiSelect,
    NumberInput,
    Option,
    RadioGroup,
    RangeInput,
    SearchInput,
    SecretInput,
    Select,
    SliderInput,
    TabGroup,
    TextArea,
    TextInput,
    TickerItem,
    Toggle,
    Toolbar,
)

app = get_server_app()

SECRET = "sk-initial-0123456789"

header = Toolbar(
    position="header",
    label="Tickers",
    items=[
        Marquee(
            component_id="tickers",
            event="app:ticker",
            label="Tickers",
            items=[
                TickerItem(component_id="t-aapl", label="AAPL", value="189.00"),
                TickerItem(component_id="t-msft", label="MSFT", value="410.10", tone="down"),
            ],
        )
    ],
)
top = Toolbar(
    position="top",
    label="Main",
    items=[
        Button(
            component_id="export",
            event="app:export",
            label="Export <b>CSV</b>",
            data={"format": "csv"},
            variant="primary",
            size="sm",
        ),
        Select(
            component_id="region",
            event="app:region",
            label="Region",
            options=[
                Option(label="All", value="all"),
                Option(label="North", value="north"),
                Option(label="South", value="south"),
            ],
            selected="all",
            searchable=True,
        ),
        MultiSelect(
            component_id="metrics",
            event="app:metrics",
            label="Metrics",
            options=[Option(label=x.title(), value=x) for x in ("sales", "costs", "margin")],
            selected=["sales"],
        ),
        SearchInput(component_id="find", event="app:find", label="Find", debounce_ms=150),
        TabGroup(
            component_id="view",
            event="app:view",
            label="View",
            options=[Option(label=x.title(), value=x) for x in ("summary", "chart", "data")],
        ),
    ],
)
left = Toolbar(
    position="left",
    label="Inputs",
    collapsible=True,
    resizable=True,
    items=[
        TextInput(component_id="title", event="app:title", label="Title", debounce_ms=200),
        TextArea(component_id="notes", event="app:notes", label="Notes", rows=2),
        NumberInput(
            component_id="qty", event="app:qty", label="Quantity", min=0, max=10, step=0.5, value=1
        ),
        DateInput(
            component_id="day",
            event="app:day",
            label="Day",
            value=dt.date(2024, 1, 1),
            min=dt.date(2020, 1, 1),
        ),
    ],
)
right = Toolbar(
    position="right",
    label="Controls",
    resizable=True,
    items=[
        SliderInput(
            component_id="zoom", event="app:zoom", label="Zoom", min=0, max=100, step=5, value=50
        ),
        RangeInput(component_id="span", event="app:span", label="Span", start=20, end=80),
        Toggle(component_id="live", event="app:live", label="Live"),
        Checkbox(component_id="grid", event="app:grid", label="Show grid", value=True),
        RadioGroup(
            component_id="shape",
            event="app:shape",
            label="Shape",
            options=[Option(label=x.title(), value=x) for x in ("line", "bar", "area")],
            selected="line",
            direction="vertical",
        ),
    ],
)
bottom = Toolbar(
    position="bottom",
    label="Settings",
    items=[
        SecretInput(component_id="apikey", event="app:apikey", label="API key", value=SECRET),
        Div(
            component_id="status",
            label="Status",
            content="Status: idle",
            children=[Button(component_id="ping", event="app:ping", label="Ping")],
        ),
    ],
)
footer = Toolbar(
    position="footer",
    label="Footer",
    collapsible=True,
    items=[Div(component_id="snapshot", content="no snapshot yet")],
)
inside = Toolbar(
    position="inside",
    label="Overlay",
    items=[Button(component_id="snap", event="app:snapshot", label="Snapshot")],
)


def on_export(data, event_type, label):
    widget.set_toolbar_value("export", label="Exported", disabled=True)


def on_region(data, event_type, label):
    options = [
        {"label": "All", "value": "all"},
        {"label": "North", "value": "north"},
        {"label": "South", "value": "south"},
        {"label": "West <i>new</i>", "value": "west"},
    ]
    widget.set_toolbar_value("region", "west", options=options)


def on_metrics(data, event_type, label):
    widget.set_toolbar_value("metrics", ["margin"])


def on_find(data, event_type, label):
    widget.set_toolbar_value("find", f"found: {data['value']}")


def on_view(data, event_type, label):
    widget.set_toolbar_value("view", "data")


def on_title(data, event_type, label):
    widget.set_toolbar_value("title", data["value"].upper())


def on_notes(data, event_type, label):
    widget.set_toolbar_value("notes", label=f"Notes ({len(data['value'].splitlines())} lines)")


def on_qty(data, event_type, label):
    widget.set_toolbar_value("qty", min(10.0, data["value"] + 1))


def on_day(data, event_type, label):
    day = dt.date.fromisoformat(data["value"]) + dt.timedelta(days=1)
    widget.set_toolbar_value("day", day.isoformat())


def on_zoom(data, event_type, label):
    widget.set_toolbar_value("zoom", data["value"] + 10)


def on_span(data, event_type, label):
    widget.set_toolbar_value("span", [10, 90])


def on_live(data, event_type, label):
    widget.set_toolbar_value("live", label="Live: on" if data["value"] else "Live: off")


def on_grid(data, event_type, label):
    widget.set_toolbar_value("grid", True, label="Grid forced on")


def on_shape(data, event_type, label):
    options = [{"label": "Scatter", "value": "scatter"}, {"label": "Pie", "value": "pie"}]
    widget.set_toolbar_value("shape", "pie", options=options)


def on_apikey(data, event_type, label):
    widget.set_toolbar_value("apikey", data["value"].upper())


def on_ping(data, event_type, label):
    widget.set_toolbar_value("status", "Status: pong")


def on_ticker(data, event_type, label):
    widget.set_toolbar_value("t-aapl", "190.50", tone="up")


def on_snapshot(data, event_type, label):
    state = widget.request_toolbar_state().result(timeout=10)
    shown = {key: state[key] for key in ("region", "metrics", "zoom", "span", "live")}
    widget.set_toolbar_values(
        {"snapshot": json.dumps(shown, sort_keys=True), "title": f"{len(state)} values"}
    )


widget = show(
    "<h1>Toolbar components</h1>",
    title="Toolbar components",
    label="toolbar-demo",
    toolbars=[header, top, left, right, bottom, footer, inside],
    callbacks={
        "app:export": on_export,
        "app:region": on_region,
        "app:metrics": on_metrics,
        "app:find": on_find,
        "app:view": on_view,
        "app:title": on_title,
        "app:notes": on_notes,
        "app:qty": on_qty,
        "app:day": on_day,
        "app:zoom": on_zoom,
        "app:span": on_span,
        "app:live": on_live,
        "app:grid": on_grid,
        "app:shape": on_shape,
        "app:apikey": on_apikey,
        "app:ping": on_ping,
        "app:ticker": on_ticker,
        "app:snapshot": on_snapshot,
    },
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(widget.label))


@app.get("/secret-check")
async def secret_check():
    """What Python holds for the SecretInput (tests compare it; a real app would not)."""
    return {"value": widget.toolbar_secret("apikey")}


if __name__ == "__main__":
    deploy()
