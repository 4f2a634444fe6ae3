"""An app that records each run of its module body: ``<pid> <__name__>`` per line.

``PYWRY_TEST_BODY_LOG`` names the file. With N workers the body must run once in the
parent (the script itself) and once in each worker, never as ``__mp_main__``.
``PYWRY_TEST_WORKER_BACKEND`` gives the worker processes (only) another state backend
name, for a start-up failure that the parent's own checks cannot see.
"""

import multiprocessing
import os

with open(os.environ["PYWRY_TEST_BODY_LOG"], "a", encoding="utf-8") as _log:
    _log.write(f"{os.getpid()} {__name__}\n")

if os.environ.get("PYWRY_TEST_WORKER_BACKEND") and multiprocessing.parent_process():
    os.environ["PYWRY_DEPLOY__STATE_BACKEND"] = os.environ["PYWRY_TEST_WORKER_BACKEND"]

from fastapi.responses import HTMLResponse, JSONResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show

app = get_server_app()
board = show("<p>counted</p>", title="Counted")


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(board.label))


@app.get("/pid")
async def pid():
    return JSONResponse({"pid": os.getpid()})


if __name__ == "__main__":
    deploy()
