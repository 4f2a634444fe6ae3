"""Composed pages for the browser tests: a grid, a chart and an HTML widget on one page.

``/`` is ``get_page_html_async("sales-grid", "sales-chart", "notes")``; ``/template``
places the chart and the notes in the app's own Jinja2 template with ``head_html()``
and ``embed_html_async()``. The grid's Region select redraws the chart for the viewer
who chose (a callback of one widget changing another); the notes' button answers with
an alert and a line in the notes.
"""

import os
from pathlib import Path

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

import pandas as pd
import plotly.graph_objects as go
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pywry.inline import (
    deploy,
    embed_html_async,
    get_page_html_async,
    get_server_app,
    head_html,
    show,
    show_dataframe,
    show_plotly,
)
from pywry.toolbar import Button, Option, Select, Toolbar

app = get_server_app()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SALES = pd.DataFrame(
    {
        "region": ["North", "North", "South", "South"],
        "quarter": ["Q1", "Q2", "Q1", "Q2"],
        "value": [60, 85, 40, 65],
    }
)


def figure_for(region: str) -> go.Figure:
    rows = SALES if region == "all" else SALES[SALES["region"] == region]
    totals = rows.groupby("quarter")["value"].sum()
    title = "All regions" if region == "all" else f"{region} region"
    return go.Figure(
        go.Bar(x=list(totals.index), y=[int(v) for v in totals.values]),
        layout={"title": {"text": title}, "height": 320},
    )


def on_region(data, event_type, label):
    # A callback of the grid changes the chart: for this viewer only.
    chart.update_figure(figure_for(data["value"]))


def on_ping(data, event_type, label):
    notes.alert("Pong from the notes", type="success")
    chart.update_layout(title={"text": "Pinged"})


region = Select(
    component_id="region",
    label="Region",
    event="app:region",
    options=[
        Option(label="All", value="all"),
        Option(label="North", value="North"),
        Option(label="South", value="South"),
    ],
    selected="all",
)
grid = show_dataframe(
    SALES,
    title="Sales table",
    label="sales-grid",
    toolbars=[Toolbar(position="top", items=[region])],
    callbacks={"app:region": on_region},
)
chart = show_plotly(figure_for("all"), title="Sales chart", label="sales-chart")
notes = show(
    '<p class="notes-text">Notes for the team.</p>',
    title="Notes",
    label="notes",
    toolbars=[
        Toolbar(position="top", items=[Button(component_id="ping", label="Ping", event="app:ping")])
    ],
    callbacks={"app:ping": on_ping},
)


@app.get("/", response_class=HTMLResponse)
async def home() -> str:
    return await get_page_html_async("sales-grid", "sales-chart", "notes", title="Sales")


@app.get("/template", response_class=HTMLResponse)
async def own_template(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "title": "Team dashboard",
            "pywry_head": head_html("sales-chart", "notes"),
            "chart": await embed_html_async("sales-chart"),
            "notes": await embed_html_async("notes"),
        },
    )


if __name__ == "__main__":
    deploy()
