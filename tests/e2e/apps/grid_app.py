"""A grid app for the browser tests: a small editable grid and a 100,000-row one.

Callbacks only record (through PYWRY_TEST_CALL_LOG) and answer with Python updates,
so the tests see the whole round trip.
"""

import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

import numpy as np
import pandas as pd
import pywry
from fastapi.responses import HTMLResponse
from pywry.inline import deploy, get_server_app, get_widget_html_async, show_dataframe

app = get_server_app()

frame = pd.DataFrame(
    {
        "name": ["<b>apple</b>", "banana", "cherry", "date"],
        "qty": np.array([3, 1, 4, 1], dtype=np.int64),
        "price": [1.25, float("nan"), 3.5, 0.75],
        "when": pd.to_datetime(["2024-01-02", "2024-02-03", None, "2024-04-05"]),
        "kind": pd.Categorical(["fruit", "fruit", "berry", "fruit"]),
    }
)


def on_cell_click(data, event_type, label):
    if data["column"] == "qty":
        table.update_cell(data["row"], "qty", int(data["value"]) + 10)


def on_row_selected(data, event_type, label):
    pass


def on_cell_edit(data, event_type, label):
    with pywry.everyone():  # kept for every new page load, not this viewer's only
        table.update_cell(data["row"], "price", 99.5)


def on_filter(data, event_type, label):
    pass


def on_sort(data, event_type, label):
    pass


def on_theme(data, event_type, label):
    table.set_theme(data["theme"])


def on_replace(data, event_type, label):
    table.update_data(frame.head(2))


def on_columns(data, event_type, label):
    table.update_columns({"price": {"title": "Price ($)"}, "kind": {"hidden": True}})


table = show_dataframe(
    frame,
    title="Fruit",
    label="fruit",
    editable=["name"],
    callbacks={
        "grid:cell-click": on_cell_click,
        "grid:row-selected": on_row_selected,
        "grid:cell-edit": on_cell_edit,
        "grid:filter-changed": on_filter,
        "grid:sort-changed": on_sort,
        "app:theme": on_theme,
        "app:replace": on_replace,
        "app:columns": on_columns,
    },
)

rows = 100_000
big = show_dataframe(
    pd.DataFrame(
        {
            "id": np.arange(rows),
            "value": (np.arange(rows) * 7919) % 100_003,
            "label": [f"row {i}" for i in range(rows)],
        }
    ),
    title="Big",
    label="big",
)


@app.get("/", response_class=HTMLResponse)
async def home():
    return HTMLResponse(await get_widget_html_async(table.label))


if __name__ == "__main__":
    deploy()
