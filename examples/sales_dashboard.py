"""The sales dashboard: a toolbar, a Plotly chart and Python callbacks.

Run it with ``python examples/sales_dashboard.py`` and open http://127.0.0.1:8080/.
Choosing a region redraws the chart from Python; "Export CSV" downloads the data
shown. Each browser tab is its own viewer: its region lives in ``ctx.state`` (kept in
the state backend, so any worker answers it) and what a callback sends goes to that
tab only. Works on the default in-memory backend; set PYWRY_DEPLOY__STATE_BACKEND=redis
(or sqlite) and PYWRY_SERVER__WORKERS=4 to scale out.
"""

import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

import plotly.express as px
from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show_plotly
from pywry.toolbar import Button, Option, Select, Toolbar

app = get_server_app()

QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
SALES = {
    "north": [60, 85, 70, 110],
    "south": [40, 65, 60, 70],
}
SALES["all"] = [n + s for n, s in zip(SALES["north"], SALES["south"], strict=True)]


def figure_for(region: str):
    title = "All regions" if region == "all" else f"{region.title()} region"
    return px.bar(x=QUARTERS, y=SALES[region], labels={"x": "Quarter", "y": "Revenue"}, title=title)


def on_region(data, event_type, label, ctx):
    region = data["value"] if data["value"] in SALES else "all"
    ctx.state["region"] = region  # this viewer's choice, seen by every worker
    widget.update_figure(figure_for(region))  # redraws this viewer's chart only
    widget.alert(f"Showing {region}", "info")


def on_export(data, event_type, label, ctx):
    region = ctx.state.get("region", "all")
    rows = "\n".join(f"{q},{v}" for q, v in zip(QUARTERS, SALES[region], strict=True))
    widget.emit(
        "pywry:download",
        {
            "filename": f"sales-{region}.csv",
            "content": "quarter,value\n" + rows,
            "mimeType": "text/csv",
        },
    )


toolbar = Toolbar(
    position="top",
    items=[
        Select(
            event="chart:region",
            label="Region",
            options=[
                Option(label="All", value="all"),
                Option(label="North", value="north"),
                Option(label="South", value="south"),
            ],
            selected="all",
        ),
        Button(event="chart:export", label="Export CSV"),
    ],
)

widget = show_plotly(
    figure_for("all"),
    title="Sales Dashboard",
    label="sales",
    toolbars=[toolbar],
    callbacks={"chart:region": on_region, "chart:export": on_export},
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(widget.label))


if __name__ == "__main__":
    print(f"Sales dashboard on http://127.0.0.1:{os.environ['PYWRY_SERVER__PORT']}/", flush=True)
    deploy()
