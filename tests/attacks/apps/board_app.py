"""The spec's Full Example shape, for the attack tests: one widget, one button.

- ``chart:export`` (the toolbar button): every click sends ``pywry:download`` with a
  CSV of ``PYWRY_TEST_DOWNLOAD_BYTES`` bytes (default 64 KiB) to every viewer, so a
  viewer that does not read falls behind quickly.
- ``app:ping``: answers ``app:pong`` with the same ``n``: a bystander's round trip.

Callbacks accept any ``data`` (the fuzzer sends anything), so a traceback in the
server's log is the server's, never this app's.
"""

import os

os.environ.setdefault("PYWRY_SERVER__HOST", "127.0.0.1")
os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

from pywry.inline import deploy, get_server_app, show
from pywry.toolbar import Button, Toolbar

app = get_server_app()
ROW = "quarter,value\n"
CSV = (ROW * (int(os.environ.get("PYWRY_TEST_DOWNLOAD_BYTES", "65536")) // len(ROW) + 1))[
    : int(os.environ.get("PYWRY_TEST_DOWNLOAD_BYTES", "65536"))
]


def to_everyone(event, data):
    # With viewers, emit inside a callback answers the clicking viewer only; broadcast
    # (where it exists) keeps this the spec's "every viewer" attack.
    getattr(board, "broadcast", board.emit)(event, data)


def on_export(data, event_type, label):
    to_everyone("pywry:download", {"filename": "data.csv", "content": CSV, "mimeType": "text/csv"})


def on_ping(data, event_type, label):
    n = data.get("n") if isinstance(data, dict) else None
    if isinstance(n, int) and not isinstance(n, bool):
        board.emit("app:pong", {"n": n})


board = show(
    "<h1>Sales Dashboard</h1>",
    title="Sales Dashboard",
    label="board",
    toolbars=[Toolbar(position="top", items=[Button(event="chart:export", label="Export CSV")])],
    callbacks={"chart:export": on_export, "app:ping": on_ping},
)


if __name__ == "__main__":
    deploy()
