"""A FileInput for the multi-worker upload test (one uvicorn worker per server).

The callback of ``app:files`` reads every uploaded file and answers the viewer with
``app:got {files: [{name, size, sha256}], pid}``.
"""

import hashlib
import os

from pywry.inline import deploy, get_server_app, show
from pywry.toolbar import FileInput, Toolbar

app = get_server_app()


def on_files(data, event_type, label):
    out = []
    for entry in data["files"]:
        digest = hashlib.sha256()
        for piece in widget.upload(entry["id"]).pieces():
            digest.update(piece)
        out.append({"name": entry["name"], "size": entry["size"], "sha256": digest.hexdigest()})
    widget.emit("app:got", {"files": out, "pid": os.getpid()})


def on_pid(data, event_type, label):
    widget.emit("app:pid", {"pid": os.getpid()})


widget = show(
    "<h1>Uploads</h1>",
    title="Uploads",
    label="uploads",
    toolbars=[Toolbar(items=[FileInput(event="app:files", component_id="data", multiple=True)])],
    callbacks={"app:files": on_files},
)


if __name__ == "__main__":
    deploy()
