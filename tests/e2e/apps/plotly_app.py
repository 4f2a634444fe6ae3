"""A chart app for the browser tests: a small scatter with callbacks, and a
million-point scattergl served from the data URL, and a three-point scattergl."""

import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")
# scattergl (WebGL) needs 'unsafe-eval' in the pages' CSP: the opt-in (docs/security.md).
os.environ.setdefault("PYWRY_SERVER__CSP_ALLOW_EVAL", "true")

import numpy as np
import plotly.graph_objects as go
import pywry
from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show_plotly

app = get_server_app()

fig = go.Figure(
    go.Scatter(
        x=[1, 2, 3],
        y=[10, 20, 15],
        mode="markers",
        marker={"size": 40},
        customdata=["a", "b", "c"],
        name="points",
    ),
    layout={"title": {"text": "Before"}, "width": 600, "height": 400},
)


def on_click(data, event_type, label):
    point = data["points"][0]
    chart.update_layout(title=f"Clicked {point['x']}")


def on_relayout(data, event_type, label):
    pass


def on_theme(data, event_type, label):
    with pywry.everyone():  # every open page and every new page load
        chart.set_theme(data["theme"])


def on_traces(data, event_type, label):
    chart.update_traces(marker={"color": "rgb(255, 0, 0)"})


def on_reset(data, event_type, label):
    chart.reset_zoom()


chart = show_plotly(
    fig,
    title="Chart",
    label="chart",
    config={"displayModeBar": False},
    callbacks={
        "plotly:click": on_click,
        "plotly:relayout": on_relayout,
        "app:theme": on_theme,
        "app:traces": on_traces,
        "app:reset": on_reset,
    },
)

points = 1_000_000
rng = np.random.default_rng(0)
huge = show_plotly(
    go.Figure(go.Scattergl(x=rng.random(points), y=rng.random(points), mode="markers")),
    title="Million",
    label="million",
)


small_gl = show_plotly(
    go.Figure(go.Scattergl(x=[1, 2, 3], y=[1, 3, 2], mode="markers")),
    title="Small WebGL",
    label="small-gl",
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(chart.label))


if __name__ == "__main__":
    deploy()
