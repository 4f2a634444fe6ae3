"""The gallery: every toolbar component, a DataFrame grid and a Plotly chart on one page.

Run it with ``python examples/gallery.py`` and open http://127.0.0.1:8080/.

How one page shows three widgets: the page at ``/`` is ``get_page_html_async()`` of a
plain HTML widget, ``board`` (``show()``), whose toolbars hold every toolbar component
(all seven positions: header, top, left, right, bottom, footer, inside), then the chart
and the grid: three widgets, one page, one WebSocket (``docs/pages.md``). Each widget
keeps its own callbacks and data; Python is the glue: a callback of one widget updates
the others (the Region select redraws the chart, a row selection in the grid shows up
in the board's footer). The page is one viewer (``docs/viewers.md``), so a callback's
changes reach all three widgets of the page that asked. The gallery's view (region,
metrics, chart type) is one board shared by every visitor, so its callbacks run inside
``pywry.everyone()`` and every open page follows.

What each control does:

- header ``Marquee``: each region's yearly revenue; click one to chart that region.
- top: ``Select`` region and ``MultiSelect`` metrics redraw the chart; ``TabGroup``
  switches bar / line / area; ``SearchInput`` filters the grid's rows; the buttons
  export the grid as CSV and show a toast (``widget.alert``).
- left: ``TextInput`` retitles the chart; ``TextArea`` notes are counted;
  ``NumberInput`` draws a target line; ``DateInput`` sets the "as of" date.
- right: ``SliderInput`` sets the bars' opacity; ``RangeInput`` zooms to months;
  ``Toggle`` switches every widget to the dark theme; ``Checkbox`` shows the legend;
  ``RadioGroup`` picks a palette.
- bottom: ``SecretInput`` (the key never reaches the page; Show/Copy ask Python,
  which answers the asking browser only) and a status ``Div`` holding a nested
  "Reset zoom" ``Button``.
- footer: what is selected in the grid, and the last snapshot; the ``inside``
  "Snapshot" button reads the whole toolbar state back with
  ``request_toolbar_state()``.
"""

import datetime as dt
import functools
import json
import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")
# The board frames the chart's and the grid's pages: allow framing by this origin only
# (PyWry pages refuse every frame by default; docs/security.md).
os.environ.setdefault("PYWRY_SERVER__FRAME_ANCESTORS", "'self'")

import pandas as pd
import pywry
import plotly.graph_objects as go
from fastapi.responses import HTMLResponse
from pywry.inline import (
    deploy,
    get_server_app,
    get_page_html_async,
    show,
    show_dataframe,
    show_plotly,
)
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

# -- the data ------------------------------------------------------------------
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
REGIONS = {"north": 120, "south": 90, "east": 105, "west": 75}
METRICS = ["revenue", "costs", "profit"]
PALETTES = {
    "ocean": ["#1f6feb", "#2da44e", "#8250df"],
    "sunset": ["#d1242f", "#fb8500", "#bf8700"],
    "mono": ["#24292f", "#57606a", "#8c959f"],
}

sales = pd.DataFrame(
    [
        {
            "region": region,
            "month": month,
            "revenue": base + 6 * m + (m * 37 % 11) * 3,
            "costs": base // 2 + 4 * m + (m * 23 % 7) * 2,
            "units": base // 10 + m + (m * 13 % 5),
        }
        for region, base in REGIONS.items()
        for m, month in enumerate(MONTHS)
    ]
)
sales["profit"] = sales["revenue"] - sales["costs"]
view = {"region": "all", "metrics": ["revenue", "profit"], "kind": "bar", "palette": "ocean"}
view_layout: dict = {"title": "Monthly sales, all regions", "target": None, "legend": True}


def shared(fn):
    """Run a callback with its changes for every viewer (see the module docstring)."""

    @functools.wraps(fn)
    def run(data, event_type, label):
        with pywry.everyone():
            return fn(data, event_type, label)

    return run


def figure():
    rows = sales if view["region"] == "all" else sales[sales["region"] == view["region"]]
    totals = rows.groupby("month", sort=False)[METRICS].sum()
    fig = go.Figure()
    for metric in view["metrics"]:
        y = totals[metric].tolist()
        if view["kind"] == "bar":
            fig.add_trace(go.Bar(x=MONTHS, y=y, name=metric))
        else:
            fill = "tozeroy" if view["kind"] == "area" else None
            fig.add_trace(go.Scatter(x=MONTHS, y=y, name=metric, mode="lines+markers", fill=fill))
    shapes = []
    if view_layout["target"] is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": view_layout["target"],
                "y1": view_layout["target"],
                "line": {"dash": "dash", "color": "#cf222e"},
            }
        )
    fig.update_layout(
        title=view_layout["title"],
        colorway=PALETTES[view["palette"]],
        showlegend=view_layout["legend"],
        legend={"orientation": "h", "y": 1.1, "x": 0.5, "xanchor": "center"},
        margin={"l": 48, "r": 16, "t": 56, "b": 32},
        shapes=shapes,
    )
    return fig


def redraw(status_text):
    chart.update_figure(figure())
    status(status_text)


def status(text):
    board.set_toolbar_value("status", text)


# -- board callbacks (the toolbars) -----------------------------------------------
def on_region(data, event_type, label):
    view["region"] = data["value"]
    view_layout["title"] = (
        f"Monthly sales, {'all regions' if data['value'] == 'all' else data['value']}"
    )
    redraw(f"Region: {data['value']}")


def on_ticker(data, event_type, label):
    region = data["ticker"].lower()
    board.set_toolbar_value("region", region)
    on_region({"value": region}, event_type, label)


def on_metrics(data, event_type, label):
    view["metrics"] = [m for m in METRICS if m in data["values"]]
    redraw(f"Metrics: {', '.join(view['metrics']) or 'none'}")


def on_kind(data, event_type, label):
    view["kind"] = data["value"]
    redraw(f"Chart type: {data['value']}")


def on_search(data, event_type, label):
    text = data["value"].strip().lower()
    mask = sales["region"].str.contains(text) | sales["month"].str.lower().str.contains(text)
    rows = sales[mask] if text else sales
    table.update_data(rows.reset_index(drop=True))
    status(f"Search {text!r}: {len(rows)} rows")


def on_export(data, event_type, label):
    table.export_csv("gallery-sales.csv")
    status("Exported gallery-sales.csv")


def on_hello(data, event_type, label):
    board.alert("Hello from Python!", "success", title="Gallery")


def on_title(data, event_type, label):
    view_layout["title"] = data["value"]
    chart.update_layout(title={"text": data["value"]})
    status(f"Title: {data['value']}")


def on_notes(data, event_type, label):
    text = data["value"]
    status(f"Notes: {len(text.splitlines())} lines, {len(text)} characters")


def on_target(data, event_type, label):
    view_layout["target"] = data["value"]
    redraw("Target cleared" if data["value"] is None else f"Target: {data['value']:g}")


def on_asof(data, event_type, label):
    day = dt.date.fromisoformat(data["value"]) if data["value"] else None
    status(f"Data as of {day:%d %B %Y}" if day else "No as-of date")


def on_opacity(data, event_type, label):
    chart.update_traces({"opacity": data["value"] / 100})
    status(f"Opacity: {data['value']:g}%")


def on_months(data, event_type, label):
    start, end = int(data["start"]), int(data["end"])
    chart.update_layout({"xaxis.range": [start - 1.5, end - 0.5]})
    status(f"Months: {MONTHS[start - 1]} to {MONTHS[end - 1]}")


def on_dark(data, event_type, label):
    theme = "dark" if data["value"] else "light"
    for widget in (board, chart, table):
        widget.set_theme(theme)
    status(f"Theme: {theme}")


def on_legend(data, event_type, label):
    view_layout["legend"] = data["value"]
    chart.update_layout(showlegend=data["value"])
    status(f"Legend {'shown' if data['value'] else 'hidden'}")


def on_palette(data, event_type, label):
    view["palette"] = data["value"]
    redraw(f"Palette: {data['value']}")


def on_apikey(data, event_type, label):
    status(f"API key stored ({len(data['value'])} characters)")  # never echo the key


def on_reset(data, event_type, label):
    chart.reset_zoom()
    status("Zoom reset")


def on_snapshot(data, event_type, label):
    state = board.request_toolbar_state().result(timeout=5)
    shown = {key: state[key] for key in ("region", "metrics", "kind", "opacity", "months")}
    board.set_toolbar_value("snapshot", "Snapshot: " + json.dumps(shown, sort_keys=True))


# -- chart and grid callbacks -----------------------------------------------------
def on_point(data, event_type, label):
    point = (data.get("points") or [{}])[0]
    status(f"Clicked {point.get('x')}: {point.get('y')}")


def on_rows(data, event_type, label):
    picked = data["data"]
    revenue = sum(row["revenue"] for row in picked)
    names = ", ".join(f"{row['region']} {row['month']}" for row in picked[:3])
    more = f" and {data['count'] - 3} more" if data["count"] > 3 else ""
    text = f"Selected {data['count']} rows ({names}{more}), revenue {revenue:,}"
    board.set_toolbar_value("selection", text if data["count"] else "Selection: none.")


def on_edit(data, event_type, label):
    status(f"Edited {data['column']} of row {data['row'] + 1}: {data['value']}")


# -- the widgets --------------------------------------------------------------------
def _options(values):
    return [Option(label=v.title(), value=v) for v in values]


yearly = sales.groupby("region")["revenue"].sum()
header = Toolbar(
    position="header",
    label="Regions",
    items=[
        Marquee(
            component_id="tickers",
            event="gallery:ticker",
            label="Yearly revenue",
            speed=30,
            items=[
                TickerItem(
                    component_id=f"t-{region}",
                    label=region.title(),
                    value=f"{int(yearly[region]):,}",
                    tone="up" if yearly[region] >= yearly.mean() else "down",
                )
                for region in REGIONS
            ],
        )
    ],
)
top = Toolbar(
    position="top",
    label="Chart",
    items=[
        Select(
            component_id="region",
            event="gallery:region",
            label="Region",
            options=[Option(label="All", value="all"), *_options(REGIONS)],
            selected="all",
            searchable=True,
        ),
        MultiSelect(
            component_id="metrics",
            event="gallery:metrics",
            label="Metrics",
            options=_options(METRICS),
            selected=["revenue", "profit"],
            size=3,
        ),
        TabGroup(
            component_id="kind",
            event="gallery:kind",
            label="Chart type",
            options=_options(["bar", "line", "area"]),
        ),
        SearchInput(
            component_id="search", event="gallery:search", label="Filter rows", debounce_ms=250
        ),
        Button(
            component_id="export",
            event="gallery:export",
            label="Export CSV",
            variant="secondary",
        ),
        Button(component_id="hello", event="gallery:hello", label="Say hello", variant="primary"),
    ],
)
left = Toolbar(
    position="left",
    label="Annotate",
    collapsible=True,
    resizable=True,
    items=[
        TextInput(
            component_id="title",
            event="gallery:title",
            label="Chart title",
            value="Monthly sales, all regions",
        ),
        TextArea(
            component_id="notes", event="gallery:notes", label="Notes", rows=3, placeholder="..."
        ),
        NumberInput(
            component_id="target",
            event="gallery:target",
            label="Target line",
            min=0,
            max=1000,
            step=10,
        ),
        DateInput(
            component_id="asof",
            event="gallery:asof",
            label="As of",
            value=dt.date(2024, 12, 31),
            min=dt.date(2024, 1, 1),
        ),
    ],
)
right = Toolbar(
    position="right",
    label="Style",
    resizable=True,
    items=[
        SliderInput(
            component_id="opacity",
            event="gallery:opacity",
            label="Opacity",
            min=10,
            max=100,
            step=5,
            value=100,
        ),
        RangeInput(
            component_id="months",
            event="gallery:months",
            label="Months",
            min=1,
            max=12,
            start=1,
            end=12,
        ),
        Toggle(component_id="dark", event="gallery:dark", label="Dark theme"),
        Checkbox(component_id="legend", event="gallery:legend", label="Legend", value=True),
        RadioGroup(
            component_id="palette",
            event="gallery:palette",
            label="Palette",
            options=_options(PALETTES),
            selected="ocean",
            direction="vertical",
        ),
    ],
)
bottom = Toolbar(
    position="bottom",
    label="Settings",
    items=[
        SecretInput(
            component_id="apikey",
            event="gallery:apikey",
            label="API key",
            value="sk-gallery-demo-key",
        ),
        Div(
            component_id="status",
            label="Status",
            content="Ready: use any control",
            children=[Button(component_id="reset", event="gallery:reset", label="Reset zoom")],
        ),
    ],
)
footer = Toolbar(
    position="footer",
    label="Selection",
    collapsible=True,
    items=[
        Div(component_id="selection", content="Selection: none."),
        Div(component_id="snapshot", content="Snapshot: none yet."),
    ],
)
inside = Toolbar(
    position="inside",
    label="Snapshot",
    items=[Button(component_id="snap", event="gallery:snapshot", label="Snapshot", size="sm")],
)

chart = show_plotly(
    figure(),
    title="Gallery chart",
    label="gallery-chart",
    callbacks={"plotly:click": shared(on_point)},
    config={"displaylogo": False, "responsive": True},
)
table = show_dataframe(
    sales,
    title="Gallery grid",
    label="gallery-grid",
    editable=["units"],
    csv_filename="gallery-sales.csv",
    callbacks={"grid:row-selected": shared(on_rows), "grid:cell-edit": shared(on_edit)},
)

INTRO = (
    '<p class="gallery-intro">Every toolbar component around this board; the chart and '
    "the grid below are two more widgets on the same page, over the same socket.</p>"
)

board = show(
    INTRO,
    title="PyWry gallery",
    label="gallery",
    toolbars=[header, top, left, right, bottom, footer, inside],
    callbacks={
        "gallery:ticker": shared(on_ticker),
        "gallery:region": shared(on_region),
        "gallery:metrics": shared(on_metrics),
        "gallery:kind": shared(on_kind),
        "gallery:search": shared(on_search),
        "gallery:export": shared(on_export),
        "gallery:hello": shared(on_hello),
        "gallery:title": shared(on_title),
        "gallery:notes": shared(on_notes),
        "gallery:target": shared(on_target),
        "gallery:asof": shared(on_asof),
        "gallery:opacity": shared(on_opacity),
        "gallery:months": shared(on_months),
        "gallery:dark": shared(on_dark),
        "gallery:legend": shared(on_legend),
        "gallery:palette": shared(on_palette),
        "gallery:apikey": shared(on_apikey),
        "gallery:reset": shared(on_reset),
        "gallery:snapshot": shared(on_snapshot),
    },
)


@app.get("/", response_class=HTMLResponse)
async def home():
    # One page, one socket: the board (with every toolbar), the chart and the grid.
    return HTMLResponse(await get_page_html_async(board.label, chart.label, table.label))


if __name__ == "__main__":
    print(f"Gallery on http://127.0.0.1:{os.environ['PYWRY_SERVER__PORT']}/", flush=True)
    deploy()
