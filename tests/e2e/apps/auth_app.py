"""A widget behind a login, run with ``PYWRY_DEPLOY__AUTH_ENABLED=true``.

Run by ``tests/e2e/test_auth.py``. ``/login?user=..`` stands in for a real login
form (a real app checks a password or an identity provider first): it starts a
session and redirects to ``/``, which shows the widget. ``/api/login`` hands an
API client its session id for ``Authorization: Bearer``; ``/whoami`` tells which
worker process accepted the session.
"""

import os
from typing import Annotated

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")
os.environ.setdefault("PYWRY_DEPLOY__AUTH_ENABLED", "true")

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show
from pywry.state.records import SessionRecord
from pywry.toolbar import Div, Option, Select, Toolbar
from pywry_server.auth import create_session, end_session, require_session

app = get_server_app()


def on_region(data, event_type, label):
    widget.set_toolbar_value("status", f"Region: {data['value']}")


widget = show(
    "<h1>Private dashboard</h1>",
    title="Private dashboard",
    label="auth-demo",
    toolbars=[
        Toolbar(
            position="top",
            items=[
                Select(
                    component_id="region",
                    event="app:region",
                    label="Region",
                    options=[Option(label=x.title(), value=x) for x in ("all", "north", "south")],
                    selected="all",
                ),
                Div(component_id="status", content="Region: all"),
            ],
        )
    ],
    callbacks={"app:region": on_region},
)


@app.get("/login")
async def login(request: Request, user: str):
    response = RedirectResponse("/", status_code=303)
    await create_session(request, response, user=user)
    return response


@app.post("/api/login")
async def api_login(request: Request, user: str):
    response = JSONResponse({})
    session_id = await create_session(request, response, user=user)
    return JSONResponse({"session": session_id, "pid": os.getpid()})


@app.get("/logout")
async def logout(request: Request):
    response = JSONResponse({"ok": True})
    await end_session(request, response)
    return response


@app.get("/", response_class=HTMLResponse, dependencies=[Depends(require_session)])
async def home():
    return HTMLResponse(await get_widget_html_async(widget.label))


@app.get("/whoami")
async def whoami(session: Annotated[SessionRecord, Depends(require_session)]):
    return {"user": session.user, "pid": os.getpid()}


if __name__ == "__main__":
    deploy()
