"""A dashboard for multi-worker tests: run it with PYWRY_SERVER__WORKERS=4.

- ``board``: a module-level widget (its label is derived, so every worker must
  derive the same one) with a Select and an "Export CSV" button; callbacks answer
  with ``widget.emit`` so a browser sees which worker ran them.
- ``GET /new``: creates a widget at run time, owned by the worker that handled the
  request; returns its label and that worker's pid.
- ``GET /emit?n=..``: emits ``app:tick`` events ``0..n-1`` to ``board`` from
  whichever worker handles the request.
"""

import os

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show
from pywry.state import get_worker_id
from pywry.toolbar import Button, Option, Select, Toolbar

app = get_server_app()
CSV = "quarter,value\nQ1,100\nQ2,150"


def _toolbar() -> Toolbar:
    return Toolbar(
        position="top",
        items=[
            Select(
                event="app:region",
                label="Region",
                options=[Option(label=x.title(), value=x) for x in ("all", "north", "south")],
                selected="all",
            ),
            Button(event="app:export", label="Export CSV"),
        ],
    )


def _callbacks(get_widget):
    def on_region(data, event_type, label):
        get_widget().emit("app:region-done", {"value": data["value"], "pid": os.getpid()})

    def on_export(data, event_type, label):
        get_widget().emit(
            "pywry:download", {"filename": "data.csv", "content": CSV, "mimeType": "text/csv"}
        )

    def on_ping(data, event_type, label):
        get_widget().emit("app:pong", {"n": data["n"], "pid": os.getpid()})

    def on_note(data, event_type, label):
        pass  # recorded by the test harness; proves a browser event ran once

    return {
        "app:region": on_region,
        "app:export": on_export,
        "app:ping": on_ping,
        "app:note": on_note,
    }


board = show(
    "<h1>Board</h1>",
    title="Board",
    toolbars=[_toolbar()],
    callbacks=_callbacks(lambda: board),
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(board.label))


@app.get("/whoami")
async def whoami():
    return {"pid": os.getpid(), "worker": get_worker_id(), "label": board.label}


@app.get("/emit")
async def emit(n: int = 1, start: int = 0):
    for i in range(start, start + n):
        board.emit("app:tick", {"i": i, "pid": os.getpid()})
    return {"pid": os.getpid(), "emitted": n}


@app.get("/new")
async def new():
    holder = {}
    widget = show(
        "<h1>Run-time widget</h1>",
        title="Run-time",
        toolbars=[_toolbar()],
        callbacks=_callbacks(lambda: holder["widget"]),
    )
    holder["widget"] = widget
    return {"label": widget.label, "pid": os.getpid(), "worker": get_worker_id()}


if __name__ == "__main__":
    deploy()
