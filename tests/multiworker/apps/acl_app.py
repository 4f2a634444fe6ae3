"""Per-widget access in a real server, run with ``PYWRY_DEPLOY__AUTH_ENABLED=true``.

Run by ``tests/multiworker/test_access.py`` (two workers on Redis) and
``tests/e2e/test_access.py`` (Chromium).

- ``admin-board``: a module-level widget for the ``admin`` role only.
- ``lobby``: open to every session; its **Make mine** button creates, in the callback,
  a private widget of the viewer's session and tells that viewer its label
  (``app:made``).
- ``/login?user=..&roles=a,b`` starts a session and redirects to the lobby;
  ``/api/login`` hands an API client its session id (``Authorization: Bearer``).
- ``/api/admin-widget``: a run-time widget for ``admin``, owned by the worker that
  made it; its label and that worker's pid.
- Every response says which worker answered (``X-Worker-Pid``).
"""

import os

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")
os.environ.setdefault("PYWRY_DEPLOY__AUTH_ENABLED", "true")

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse
from pywry.inline import deploy, get_server_app, show
from pywry.toolbar import Button, Toolbar
from pywry_server.auth import create_session

app = get_server_app()


@app.middleware("http")
async def say_which_worker(request, call_next):
    response = await call_next(request)
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response


admin_board = show(
    "<h1 id='board'>Admin board</h1>", title="Admin", label="admin-board", roles=["admin"]
)


def make_mine(data, event_type, label):
    mine = show("<p id='mine'>Only yours</p>", title="Mine", private=True)
    lobby.emit("app:made", {"label": mine.label})  # in a callback: to this viewer only


lobby = show(
    "<h1>Lobby</h1>",
    title="Lobby",
    label="lobby",
    toolbars=[Toolbar(position="top", items=[Button(event="app:make-mine", label="Make mine")])],
    callbacks={"app:make-mine": make_mine},
)


def _roles(roles: str) -> list[str]:
    return [name for name in roles.split(",") if name]


@app.get("/login")
async def login(request: Request, user: str, roles: str = ""):
    response = RedirectResponse("/widget/lobby", status_code=303)
    await create_session(request, response, user=user, roles=_roles(roles))
    return response


@app.post("/api/login")
async def api_login(request: Request, user: str, roles: str = ""):
    response = JSONResponse({})
    session_id = await create_session(request, response, user=user, roles=_roles(roles))
    return JSONResponse({"session": session_id, "pid": os.getpid()})


@app.post("/api/admin-widget")
async def admin_widget():
    widget = show("<p>Run-time admin widget</p>", title="Ops", roles=["admin"])
    return {"label": widget.label, "pid": os.getpid()}


if __name__ == "__main__":
    deploy()
