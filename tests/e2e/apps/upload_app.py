"""A FileInput for the browser tests: several files, one over the component's limit.

The callback writes each file it got as ``name size sha256`` into ``#result``.
"""

import hashlib
import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show
from pywry.toolbar import FileInput, Toolbar

app = get_server_app()


def on_files(data, event_type, label):
    lines = []
    for entry in data["files"]:
        digest = hashlib.sha256()
        with page.upload(entry["id"]).open() as stream:
            while block := stream.read(100_000):
                digest.update(block)
        lines.append(f"{entry['name']} {entry['size']} {digest.hexdigest()}")
    page.update("<pre id='result'>" + "\n".join(lines) + "</pre>")


page = show(
    "<pre id='result'>nothing yet</pre>",
    title="Uploads",
    label="uploads",
    toolbars=[
        Toolbar(
            items=[
                FileInput(
                    event="app:files",
                    label="Data files",
                    multiple=True,
                    accept=[".csv", ".bin", "text/csv"],
                    max_bytes=2 * 1024 * 1024,
                )
            ]
        )
    ],
    callbacks={"app:files": on_files},
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(page.label))


if __name__ == "__main__":
    deploy()
