"""The grid widget's Python API: updates change the stored table and the data digest."""

from __future__ import annotations

import json

import pytest
from pywry import inline
from pywry.widgets import DataFrameWidget
from pywry.widgets.grid import MAX_EDIT_CHARS

pd = pytest.importorskip("pandas")


@pytest.fixture
def grid() -> DataFrameWidget:
    df = pd.DataFrame({"name": ["a", "b"], "qty": [1, 2], "price": [1.5, None]})
    return inline.show_dataframe(df, title="Stock", editable=["qty"])


def _document(widget: DataFrameWidget) -> dict:
    return json.loads(widget.encoded_data().body)


def test_show_dataframe_returns_a_grid_widget_with_options(grid) -> None:
    assert isinstance(grid, DataFrameWidget)
    assert grid.columns == ["name", "qty", "price"]
    assert grid.row_count == 2
    document = _document(grid)
    assert document["options"] == {
        "editable": ["qty"],
        "selection": "multiple",
        "csvFilename": "Stock.csv",
        "index": None,
        "columnJoiner": " / ",
    }
    assert document["table"]["rows"] == [["a", 1, 1.5], ["b", 2, None]]
    record = grid.to_record()
    assert record.payload["dataDigest"] == grid.encoded_data().digest
    page = inline.get_widget_html(grid.label)
    assert f"/widget/{grid.label}/data" in page
    assert "tabulator.min." in page


def test_update_cell_by_name_or_position_changes_data_and_digest(grid) -> None:
    before = grid.encoded_data().digest
    grid.update_cell(1, "price", 9.25)
    grid.update_cell(0, 0, pd.Timestamp("2024-01-01"))
    assert grid.cell(1, "price") == 9.25
    assert grid.cell(0, "name") == "2024-01-01T00:00:00"
    assert grid.encoded_data().digest != before
    assert _document(grid)["table"]["rows"][1] == ["b", 2, 9.25]


def test_update_cell_refuses_unknown_rows_and_columns(grid) -> None:
    with pytest.raises(IndexError, match="out of range"):
        grid.update_cell(2, "qty", 1)
    with pytest.raises(ValueError, match="Unknown column 'nope'"):
        grid.update_cell(0, "nope", 1)
    with pytest.raises(TypeError, match="row position"):
        grid.update_cell("0", "qty", 1)  # type: ignore[arg-type]


def test_update_data_replaces_rows_and_columns(grid) -> None:
    grid.update_data(pd.DataFrame({"x": [1, 2, 3]}))
    assert grid.columns == ["x"]
    assert grid.row_count == 3


def test_update_columns_stores_column_options(grid) -> None:
    grid.update_columns({"price": {"title": "Price ($)", "width": 90}, 0: {"hidden": True}})
    columns = _document(grid)["table"]["columns"]
    assert columns[2]["title"] == "Price ($)"
    assert columns[2]["width"] == 90
    assert columns[0]["hidden"] is True
    with pytest.raises(ValueError, match="Unknown column option"):
        grid.update_columns({"price": {"colour": "red"}})


def test_a_rejected_update_columns_changes_no_column(grid) -> None:
    with pytest.raises(ValueError, match="Unknown column option"):
        grid.update_columns({"qty": {"title": "Quantity"}, "price": {"colour": "red"}})
    with pytest.raises(ValueError, match="Unknown column"):
        grid.update_columns({"qty": {"title": "Quantity"}, "missing": {"width": 10}})
    grid.update_columns({"price": {"width": 80}})
    columns = _document(grid)["table"]["columns"]
    assert "title" not in columns[1]
    assert columns[2]["width"] == 80


async def test_cell_edit_from_a_browser_is_kept_and_callbacks_run(grid) -> None:
    seen: list[dict] = []

    async def on_edit(data, event, label):
        seen.append(data)

    grid.on("grid:cell-edit", on_edit)
    edit = {"row": 0, "column": "qty", "value": 5, "oldValue": 1}
    assert await grid.dispatch("grid:cell-edit", edit) == 1
    assert seen == [edit]
    assert grid.cell(0, "qty") == 5
    # a malformed edit changes nothing, and no callback runs for it
    assert await grid.dispatch("grid:cell-edit", {"row": 99, "column": "qty", "value": 1}) == 0
    assert grid.cell(0, "qty") == 5
    assert seen == [edit]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ({"row": 0, "column": "name", "value": "x"}, "not editable"),  # not in editable=[...]
        ({"row": 0, "column": "qty", "value": {"nested": [1]}}, "not a JSON scalar"),
        ({"row": 0, "column": "qty", "value": [1, 2]}, "not a JSON scalar"),
        ({"row": 0, "column": "qty", "value": "x" * (MAX_EDIT_CHARS + 1)}, "10,001 characters"),
        ({"row": 0, "column": "qty", "value": float("nan")}, "not a finite number"),
        ({"row": 5, "column": "qty", "value": 1}, "malformed"),
        ({"row": "0", "column": "qty", "value": 1}, "malformed"),
        ({"row": 0, "column": "nope", "value": 1}, "malformed"),
        ({"column": "qty", "value": 1}, "malformed"),
        (["not", "an", "object"], "malformed"),
    ],
)
async def test_an_edit_the_grid_does_not_offer_is_refused(
    grid, caplog: pytest.LogCaptureFixture, edit: object, reason: str
) -> None:
    calls: list[object] = []
    grid.on("grid:cell-edit", lambda data, event, label: calls.append(data))
    before = _document(grid)
    assert await grid.dispatch("grid:cell-edit", edit) == 0
    assert calls == []
    assert _document(grid) == before  # nothing stored (nor a new digest)
    (record,) = [r for r in caplog.records if r.name == "pywry.grid"]
    assert record.levelname == "WARNING"
    assert reason in record.getMessage()
    assert len(record.getMessage()) < 500  # client text is clipped


@pytest.mark.parametrize("value", [None, True, -2.5, 7, "", "y" * MAX_EDIT_CHARS])
async def test_json_scalars_are_stored(grid, value: object) -> None:
    await grid.dispatch("grid:cell-edit", {"row": 1, "column": "qty", "value": value})
    assert grid.cell(1, "qty") == value


async def test_editable_true_and_update_columns_decide_what_is_editable() -> None:
    df = pd.DataFrame({"a": [1], "b": [2]}, index=pd.Index(["r"], name="key"))
    grid = inline.show_dataframe(df, editable=True)
    assert await grid.dispatch("grid:cell-edit", {"row": 0, "column": "key", "value": "x"}) == 0
    assert grid.cell(0, "key") == "r"  # index columns never take edits
    await grid.dispatch("grid:cell-edit", {"row": 0, "column": "a", "value": 9})
    assert grid.cell(0, "a") == 9
    grid.update_columns({"a": {"editable": False}})
    await grid.dispatch("grid:cell-edit", {"row": 0, "column": "a", "value": 10})
    assert grid.cell(0, "a") == 9
    read_only = inline.show_dataframe(df)
    read_only.update_columns({"b": {"editable": True}})
    await read_only.dispatch("grid:cell-edit", {"row": 0, "column": "b", "value": 3})
    await read_only.dispatch("grid:cell-edit", {"row": 0, "column": "a", "value": 3})
    assert (read_only.cell(0, "a"), read_only.cell(0, "b")) == (1, 3)


def test_bad_options_are_refused() -> None:
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(ValueError, match="selection"):
        inline.show_dataframe(df, selection="some")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="editable"):
        inline.show_dataframe(df, editable="a")


def test_set_theme_is_validated_and_kept(grid) -> None:
    grid.set_theme("dark")
    assert 'data-theme="dark"' in inline.get_widget_html(grid.label)
    with pytest.raises(ValueError, match="theme"):
        grid.set_theme("blue")  # type: ignore[arg-type]
