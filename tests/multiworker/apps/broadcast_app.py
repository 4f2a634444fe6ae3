"""A widget whose callback answers twice: to everyone and to the viewer who asked.

``app:shout`` (from a page: ``window.pywry.emit('app:shout', {n})``) runs
``on_shout``, which calls ``board.broadcast("app:everyone", ...)`` (every viewer on
every worker) and ``board.emit("app:mine", ...)`` (only the viewer who shouted).
Run it with PYWRY_SERVER__WORKERS=4 and a shared backend.
"""

import os

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show

app = get_server_app()


def on_shout(data, event_type, label, ctx):
    payload = {"n": data["n"], "viewer": ctx.viewer_id, "worker": ctx.worker_id}
    board.broadcast("app:everyone", payload)
    board.emit("app:mine", payload)


board = show(
    "<h1>Broadcast</h1>",
    title="Broadcast",
    label="broadcast",
    callbacks={"app:shout": on_shout},
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(board.label))


if __name__ == "__main__":
    deploy()
