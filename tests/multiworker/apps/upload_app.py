"""A FileInput for the multi-worker upload test (one uvicorn worker per server).

The callback of ``app:files`` reads every uploaded file and answers the viewer with
``app:got {files: [{name, size, sha256}], pid}``. ``GET /new`` makes a widget at run
time (owned by the worker that answers) with the same ``FileInput`` and callback.
"""

import hashlib
import os

from pywry.inline import deploy, get_server_app, show
from pywry.state import get_worker_id
from pywry.toolbar import FileInput, Toolbar

app = get_server_app()


def reader(get_widget):
    def on_files(data, event_type, label):
        target = get_widget()
        out = []
        for entry in data["files"]:
            digest = hashlib.sha256()
            for piece in target.upload(entry["id"]).pieces():
                digest.update(piece)
            out.append({"name": entry["name"], "size": entry["size"], "sha256": digest.hexdigest()})
        target.emit("app:got", {"files": out, "pid": os.getpid()})

    return on_files


def _toolbars():
    return [Toolbar(items=[FileInput(event="app:files", component_id="data", multiple=True)])]


def on_pid(data, event_type, label):
    widget.emit("app:pid", {"pid": os.getpid()})


widget = show(
    "<h1>Uploads</h1>",
    title="Uploads",
    label="uploads",
    toolbars=_toolbars(),
    callbacks={"app:files": reader(lambda: widget)},
)


@app.get("/new")
async def new():
    holder = {}
    made = show(
        "<h1>Run-time uploads</h1>",
        title="Run-time uploads",
        toolbars=_toolbars(),
        callbacks={"app:files": reader(lambda: holder["widget"])},
    )
    holder["widget"] = made
    return {"label": made.label, "pid": os.getpid(), "worker": get_worker_id()}


if __name__ == "__main__":
    deploy()
