"""The PyWry app the WebSocket benchmarks drive (run it like any PyWry app: ``deploy()``).

- ``board-<i>``: HTML widgets; their callback answers ``app:ping`` with ``app:pong``
  (the light callback: the frame's tag echoed back through ``widget.emit``).
- ``chart-<i>``: Plotly widgets; their callback answers ``app:redraw`` by building a
  ``px.bar`` figure (titled with the tag) and calling ``update_figure`` (the figure job).
- ``GET /labels``: the labels and this worker's id.

There are ``CLIENTS`` of each, all module-level (the same in every worker), so each
load client has a widget of its own: what a widget emits reaches every page showing
it, and 50 clients on one widget would measure a 50-fold fan-out instead.
- ``GET /new``: a widget created at run time, owned by the worker that made it (the
  cross-worker round trip: its events travel to the owner over the state backend's bus).
"""

import os

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

import plotly.express as px
from pywry.inline import deploy, get_server_app, show, show_plotly
from pywry.state import get_worker_id

app = get_server_app()
QUARTERS = ["Q1", "Q2", "Q3", "Q4"]
CLIENTS = int(os.environ.get("BENCH_WIDGETS", "64"))


def bar(tag: str, n: int = 0):
    """The figure job: a fresh ``px.bar`` per call (the same one ``dash_app.py`` builds)."""
    return px.bar(x=QUARTERS, y=[100 + n % 7, 150, 130 + n % 5, 180], title=tag)


def ping_callbacks(get_widget):
    def on_ping(data, event_type, label):
        get_widget().emit("app:pong", {"tag": data["tag"]})

    return {"app:ping": on_ping}


def redraw_callbacks(get_widget):
    def on_redraw(data, event_type, label):
        get_widget().update_figure(bar(data["tag"], len(data["tag"])))

    return {"app:redraw": on_redraw}


def _board(i):
    holder = {}
    holder["w"] = show(
        "<h1>Board</h1>", label=f"board-{i}", callbacks=ping_callbacks(lambda: holder["w"])
    )
    return holder["w"]


def _chart(i):
    holder = {}
    holder["w"] = show_plotly(
        bar("start"), label=f"chart-{i}", callbacks=redraw_callbacks(lambda: holder["w"])
    )
    return holder["w"]


boards = [_board(i) for i in range(CLIENTS)]
charts = [_chart(i) for i in range(CLIENTS)]


@app.get("/labels")
async def labels():
    return {
        "boards": [w.label for w in boards],
        "charts": [w.label for w in charts],
        "worker": get_worker_id(),
    }


@app.get("/new")
async def new():
    holder = {}
    holder["widget"] = show(
        "<h1>Run-time</h1>", title="Run-time", callbacks=ping_callbacks(lambda: holder["widget"])
    )
    return {"label": holder["widget"].label, "worker": get_worker_id()}


if __name__ == "__main__":
    deploy()
