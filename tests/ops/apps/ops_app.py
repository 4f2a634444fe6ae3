"""An app for the operations tests (TLS, metrics, logs): one widget that answers.

``app:ping`` answers ``app:pong`` (to the viewer that asked, on its socket),
``app:fail`` raises (a callback error), ``GET /items/{n}`` is a route with a path
parameter (its metrics label is the template, never the path); ``GET /pid`` says
which worker answered (on a kept-alive connection: the one that answered before).
"""

import os

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show

app = get_server_app()


def on_ping(data, event_type, label):
    board.emit("app:pong", {"n": data["n"]})


def on_fail(data, event_type, label):
    raise RuntimeError("this callback fails on purpose")


board = show("<h1>Ops</h1>", title="Ops", callbacks={"app:ping": on_ping, "app:fail": on_fail})


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(board.label))


@app.get("/label")
async def label():
    return {"label": board.label}


@app.get("/items/{n}")
async def item(n: int):
    return {"n": n, "pid": os.getpid()}


@app.get("/pid")
async def pid():
    return {"pid": os.getpid()}


if __name__ == "__main__":
    deploy()
