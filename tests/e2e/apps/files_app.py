"""Downloads by URL and long work with progress, for the browser tests.

- "Download report": ``widget.download()`` of a 3 MB file (not a multiple of the
  chunk size) from an iterator; the page gets a signed URL and the browser fetches it.
- "Long work": about 5 s in 50 steps with ``ctx.progress``; it stops when the viewer
  cancels (``ctx.cancelled``) and says how far it got in ``#result``.
- "Ping": answered at once (``#pong`` counts the answers), also while the work runs.
"""

import os
import time

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show
from pywry.toolbar import Button, Toolbar

app = get_server_app()
SIZE = 3 * 1000 * 1000 + 7


def report_bytes():
    for start in range(0, SIZE, 100_000):
        yield bytes((start + i) % 251 for i in range(min(100_000, SIZE - start)))


def on_download(data, event_type, label):
    page.download(report_bytes(), "report-été.bin")


def on_long(data, event_type, label, ctx):
    for step in range(50):
        if ctx.cancelled:
            page.update(f"<p id='result'>cancelled at step {step}</p>")
            return
        ctx.progress(step / 50, f"Crunching {step}/50")
        time.sleep(0.1)
    page.update("<p id='result'>finished</p>")


pings = {"n": 0}


def on_ping(data, event_type, label):
    pings["n"] += 1
    page.update(f"<p id='pong'>pong {data['n']}</p>")


page = show(
    "<p id='result'>nothing yet</p>",
    title="Files",
    label="files",
    toolbars=[
        Toolbar(
            items=[
                Button(event="app:download", label="Download report"),
                Button(event="app:long", label="Long work"),
            ]
        )
    ],
    callbacks={"app:download": on_download, "app:long": on_long, "app:ping": on_ping},
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(page.label))


if __name__ == "__main__":
    deploy()
