"""Downloads and long work for the multi-worker file tests (one uvicorn worker each).

- ``files``: a module-level widget. ``app:make {size}`` prepares a download of
  ``size`` bytes of a deterministic pattern (1 MiB blocks, block i = sha256(i) repeated)
  from an iterator, so the worker never holds the file; ``app:made`` reports the time.
- ``GET /rss``: this worker's pid, RSS and peak RSS in KiB; ``?reset=1`` first resets
  the peak (``/proc/self/clear_refs``), so a later peak says what a step cost.
"""

import hashlib
import os
import time
from collections.abc import Iterator

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show

app = get_server_app()
BLOCK = 1024 * 1024


def pattern(size: int) -> Iterator[bytes]:
    for index in range(0, size, BLOCK):
        block = hashlib.sha256(index.to_bytes(8, "big")).digest() * (BLOCK // 32)
        yield block[: min(BLOCK, size - index)]


def on_make(data, event_type, label):
    started = time.monotonic()
    widget.download(pattern(int(data["size"])), "big.bin")
    widget.emit("app:made", {"seconds": time.monotonic() - started, "pid": os.getpid()})


def on_ping(data, event_type, label):
    widget.emit("app:pong", {"n": data["n"], "pid": os.getpid()})


widget = show(
    "<h1>Files</h1>",
    title="Files",
    label="files",
    callbacks={"app:make": on_make, "app:ping": on_ping},
)


def _status() -> dict[str, int]:
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(widget.label))


@app.get("/rss")
def rss(reset: int = 0):
    if reset:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    status = _status()
    return {"pid": os.getpid(), "rss_kib": status["VmRSS"], "hwm_kib": status["VmHWM"]}


if __name__ == "__main__":
    deploy()
