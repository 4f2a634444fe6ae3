"""``{prefix}/{label}/data``: widget data served apart from the page, cached by digest."""

from __future__ import annotations

import gzip
import re

import pytest
from pywry.widgets import DataFrameWidget, PlotlyWidget
from pywry.widgets.dataframe import dataframe_to_table
from server_support import connect


def _grid(runtime, label: str = "grid", rows: int = 3) -> DataFrameWidget:
    table = dataframe_to_table([{"n": i, "name": f"row {i}"} for i in range(rows)])
    widget = DataFrameWidget(
        runtime,
        label=label,
        title="Grid",
        content='<div id="pywry-grid"></div>',
        payload={"table": table, "options": {"editable": False, "csvFilename": "g.csv"}},
    )
    runtime.add(widget)
    return widget


def _digest(page: str) -> str:
    match = re.search(r'"dataDigest":"(\w+)"', page)
    assert match is not None, page
    return match.group(1)


def test_data_url_in_page_serves_the_table_immutably(runtime, make_client) -> None:
    widget = _grid(runtime)
    client = make_client()
    page = client.get("/widget/grid").text
    assert "row 1" not in page
    digest = _digest(page)
    assert digest == widget.encoded_data().digest
    response = client.get(f"/widget/grid/data?v={digest}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert response.json()["table"]["rows"][1] == [1, "row 1"]
    again = client.get(f"/widget/grid/data?v={digest}", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304


def test_stale_digest_gets_current_data_that_must_be_revalidated(runtime, make_client) -> None:
    widget = _grid(runtime)
    client = make_client()
    old = _digest(client.get("/widget/grid").text)
    widget.update_cell(0, "name", "changed")
    response = client.get(f"/widget/grid/data?v={old}")
    assert response.headers["cache-control"] == "no-cache"
    assert response.json()["table"]["rows"][0] == [0, "changed"]
    assert _digest(client.get("/widget/grid").text) != old


def test_large_data_is_gzipped(runtime, make_client) -> None:
    _grid(runtime, rows=2000)
    client = make_client()
    response = client.get("/widget/grid/data", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    raw = client.get("/widget/grid/data", headers={"Accept-Encoding": "identity"}).content
    assert len(raw) > 2 * int(response.headers["content-length"])
    assert gzip.decompress(gzip.compress(raw)) == raw


def test_html_widgets_and_unknown_labels_have_no_data(add_widget, make_client) -> None:
    add_widget("plain")
    client = make_client()
    plain = client.get("/widget/plain/data")
    assert plain.status_code == 404
    assert plain.json()["error"] == "no_data"
    missing = client.get("/widget/nope/data")
    assert missing.status_code == 404
    assert missing.json()["error"] == "widget_not_found"


def test_data_of_a_widget_known_only_from_the_shared_state(runtime, make_client) -> None:
    widget = PlotlyWidget(
        runtime,
        label="chart",
        title="Chart",
        content="",
        payload={"figure": {"data": [{"type": "bar", "y": [1]}], "layout": {}}, "config": {}},
    )
    runtime.add(widget)
    client = make_client()
    digest = _digest(client.get("/widget/chart").text)
    runtime.forget("chart")  # as on a worker that did not create it
    response = client.get(f"/widget/chart/data?v={digest}")
    assert response.status_code == 200
    assert response.json()["figure"]["data"][0]["type"] == "bar"
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("call", "event", "expected"),
    [
        (
            lambda w: w.update_cell(2, "n", 20),
            "grid:update-cell",
            {"row": 2, "column": "n", "value": 20},
        ),
        (lambda w: w.export_csv("x.csv"), "grid:export-csv", {"filename": "x.csv"}),
        (
            lambda w: w.update_columns({"n": {"title": "N"}}),
            "grid:update-columns",
            {"columns": [{"name": "n", "field": "c0", "title": "N"}]},
        ),
    ],
)
def test_grid_updates_reach_the_browser(runtime, make_client, call, event, expected) -> None:
    widget = _grid(runtime)
    ws, socket, _ = connect(make_client(), "grid")
    call(widget)
    message = socket.receive_json()
    assert message["event"] == event
    assert message["data"] == expected
    ws.__exit__(None, None, None)


def test_update_data_sends_small_tables_inline_and_big_ones_by_digest(runtime, make_client) -> None:
    widget = _grid(runtime)
    ws, socket, _ = connect(make_client(), "grid")
    widget.update_data([{"a": 1}])
    small = socket.receive_json()["data"]
    assert small["table"]["rows"] == [[1]]
    assert small["digest"] == widget.encoded_data().digest
    widget.update_data([{"a": "x" * 100, "i": i} for i in range(5000)])
    big = socket.receive_json()["data"]
    assert "table" not in big
    assert big == {"digest": widget.encoded_data().digest, "rowCount": 5000}
    ws.__exit__(None, None, None)
