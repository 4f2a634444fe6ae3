"""Toasts for the browser tests: plain alerts and a confirm whose answer reaches Python."""

import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show
from pywry.toolbar import Button, Toolbar

app = get_server_app()


def on_save(data, event_type, label):
    page.alert("Saved 3 rows", "success", title="Done")


def on_delete(data, event_type, label):
    page.alert("Delete everything?", "confirm", reply_event="app:delete-answer")


def on_answer(data, event_type, label):
    page.update("<p id='result'>deleted</p>" if data["confirmed"] else "<p id='result'>kept</p>")


page = show(
    "<p id='result'>nothing yet</p>",
    title="Alerts",
    label="alerts",
    toolbars=[
        Toolbar(
            items=[
                Button(event="app:save", label="Save"),
                Button(event="app:delete", label="Delete"),
            ]
        )
    ],
    callbacks={"app:save": on_save, "app:delete": on_delete, "app:delete-answer": on_answer},
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(page.label))


if __name__ == "__main__":
    deploy()
