"""A browser's ``grid:cell-edit`` over the raw protocol: only what the grid offers is kept."""

from __future__ import annotations

from typing import Any

import pytest
from pywry.runtime import Runtime
from pywry.widgets import DataFrameWidget
from pywry.widgets.dataframe import dataframe_to_table
from server_support import connect, wait_until


def _grid(runtime: Runtime, editable: bool | list[str], calls: list[Any]) -> DataFrameWidget:
    table = dataframe_to_table([{"name": "apple", "qty": 1}, {"name": "pear", "qty": 2}])
    widget = DataFrameWidget(
        runtime,
        label="grid",
        title="Grid",
        content='<div id="pywry-grid"></div>',
        payload={"table": table, "options": {"editable": editable, "csvFilename": "g.csv"}},
        callbacks={"grid:cell-edit": lambda data, event, label: calls.append(data)},
    )
    runtime.add(widget)
    return widget


def _event_named(socket: Any, event: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = socket.receive_json()
        if frame.get("type") == "event" and frame.get("event") == event:
            return frame


def _edit(socket: Any, frame_id: str, value: Any, column: str = "name") -> None:
    data = {"row": 0, "column": column, "value": value, "oldValue": "apple", "rowData": {}}
    socket.send_json({"type": "event", "id": frame_id, "event": "grid:cell-edit", "data": data})
    assert socket.receive_json() == {"type": "ack", "id": frame_id, "status": "ok"}


@pytest.mark.parametrize(
    ("editable", "column", "value"),
    [
        (False, "name", "<img src=x onerror=alert(1)>"),  # a read-only grid
        (["qty"], "name", "forged"),  # a read-only column
        (True, "name", "z" * 200_000),  # too long
        (True, "name", {"deep": [[[1]]]}),  # not a scalar
    ],
)
def test_a_forged_edit_is_refused_and_the_page_gets_the_stored_value(
    runtime: Runtime, make_client: Any, editable: bool | list[str], column: str, value: Any
) -> None:
    calls: list[Any] = []
    grid = _grid(runtime, editable, calls)
    client = make_client()
    context, socket, _welcome = connect(client, "grid")
    try:
        _edit(socket, "e1", value, column)
        reset = _event_named(socket, "grid:update-cell")
        assert reset["data"] == {"row": 0, "column": "name", "value": "apple"}
        assert "seq" not in reset  # for the sender only: not logged for replay
    finally:
        context.__exit__(None, None, None)
    assert calls == []
    assert grid.cell(0, "name") == "apple"
    assert client.get("/widget/grid/data").json()["table"]["rows"][0] == ["apple", 1]


def test_an_editable_cell_is_kept_for_new_page_loads(runtime: Runtime, make_client: Any) -> None:
    calls: list[Any] = []
    grid = _grid(runtime, ["name"], calls)
    client = make_client()
    context, socket, _welcome = connect(client, "grid")
    try:
        _edit(socket, "e1", "apricot")
    finally:
        context.__exit__(None, None, None)
    wait_until(lambda: bool(calls))  # the callback runs as a task after the ack
    assert [c["value"] for c in calls] == ["apricot"]
    assert grid.cell(0, "name") == "apricot"
    assert client.get("/widget/grid/data").json()["table"]["rows"][0] == ["apricot", 1]
