import os

os.environ.setdefault("PYWRY_SERVER__HOST", "0.0.0.0")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

import plotly.express as px
from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, show_plotly, get_widget_html_async
from pywry.toolbar import Button, Option, Select, Toolbar

app = get_server_app()

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

fig = px.bar(x=["Q1", "Q2", "Q3", "Q4"], y=[100, 150, 130, 180])


def on_region(data, event_type, label):
    # Filter and update chart based on selected region
    pass


def on_export(data, event_type, label):
    widget.emit(
        "pywry:download",
        {
            "filename": "data.csv",
            "content": "quarter,value\nQ1,100\nQ2,150\nQ3,130\nQ4,180",
            "mimeType": "text/csv",
        },
    )


widget = show_plotly(
    fig,
    title="Sales Dashboard",
    toolbars=[toolbar],
    callbacks={
        "chart:region": on_region,
        "chart:export": on_export,
    },
)


@app.get("/", response_class=HTMLResponse)
async def home():
    html = await get_widget_html_async(widget.label)
    return HTMLResponse(html)


if __name__ == "__main__":
    deploy()
