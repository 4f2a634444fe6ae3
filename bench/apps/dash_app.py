"""Dash doing the same two jobs as PyWry's ``pywry_app.py`` (run under gunicorn, own venv).

- light callback: ``tag.value`` -> ``pong.children`` (the tag echoed back);
- figure job: ``redraw.value`` -> ``graph.figure``, a fresh ``px.bar`` per call, titled
  with the tag (the same figure ``pywry_app.bar`` builds).

``server`` is the Flask app for gunicorn; ``/readyz`` answers 200. Dash's callback
endpoint is ``POST /_dash-update-component``, driven by wrk (``http_load.dash_body``).
"""

import pandas  # noqa: F401 - imported up front: plotly imports it lazily, racing in threads
import plotly.express as px
from dash import Dash, Input, Output, dcc, html

QUARTERS = ["Q1", "Q2", "Q3", "Q4"]

dash_app = Dash(__name__)
dash_app.layout = html.Div(
    [
        dcc.Input(id="tag", value="start"),
        html.Div(id="pong"),
        dcc.Input(id="redraw", value="start"),
        dcc.Graph(id="graph"),
    ]
)
server = dash_app.server


@dash_app.callback(Output("pong", "children"), Input("tag", "value"))
def light(tag):
    return tag


@dash_app.callback(Output("graph", "figure"), Input("redraw", "value"))
def figure(tag):
    n = len(tag or "")
    return px.bar(x=QUARTERS, y=[100 + n % 7, 150, 130 + n % 5, 180], title=tag)


figure("warm-up")  # the first px.bar call loads plotly's validators; not in a request


@server.get("/readyz")
def readyz():
    return "ready"
