"""DataFrames to the grid's table document: every value becomes plain JSON."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

from pywry.widgets.dataframe import dataframe_to_table, plain_cell  # noqa: E402


def _column(table, name):
    names = [c["name"] for c in table["columns"]]
    i = names.index(name)
    return table["columns"][i], [row[i] for row in table["rows"]]


def test_table_is_strict_json() -> None:
    df = pd.DataFrame({"f": [1.0, np.nan, np.inf, -np.inf], "i": np.arange(4, dtype=np.int32)})
    table = dataframe_to_table(df)
    text = json.dumps(table, allow_nan=False)  # raises on NaN/inf
    assert json.loads(text) == table


def test_numpy_numbers_become_python_numbers() -> None:
    df = pd.DataFrame({"i": np.array([1, 2], dtype=np.int64), "u": np.array([3, 4], np.uint8)})
    table = dataframe_to_table(df)
    assert table["rows"] == [[1, 3], [2, 4]]
    assert all(type(v) is int for row in table["rows"] for v in row)
    assert [c["dtype"] for c in table["columns"]] == ["integer", "integer"]


def test_missing_values_are_null() -> None:
    df = pd.DataFrame(
        {
            "f": [np.nan, 1.5],
            "o": [None, "x"],
            "t": pd.to_datetime([None, "2024-01-01"]),
            "ni": pd.array([None, 7], dtype="Int64"),
            "nb": pd.array([None, True], dtype="boolean"),
            "s": pd.array([None, "y"], dtype="string"),
        }
    )
    table = dataframe_to_table(df)
    assert table["rows"][0] == [None] * 6
    assert table["rows"][1] == [1.5, "x", "2024-01-01T00:00:00", 7, True, "y"]


def test_dates_and_datetimes_are_iso_8601() -> None:
    df = pd.DataFrame(
        {
            "naive": pd.to_datetime(["2024-03-04 05:06:07"]),
            "aware": pd.to_datetime(["2024-03-04 05:06:07"]).tz_localize("Europe/Paris"),
            "date": [dt.date(2024, 3, 4)],
            "time": [dt.time(5, 6, 7)],
            "delta": pd.to_timedelta(["1 day 2h"]),
        }
    )
    table = dataframe_to_table(df)
    assert table["rows"] == [
        [
            "2024-03-04T05:06:07",
            "2024-03-04T05:06:07+01:00",
            "2024-03-04",
            "05:06:07",
            "P1DT2H0M0S",
        ]
    ]
    dtypes = [c["dtype"] for c in table["columns"]]
    assert dtypes == ["datetime", "datetime", "date", "string", "duration"]


def test_categoricals_keep_their_values_and_categories() -> None:
    df = pd.DataFrame({"c": pd.Categorical(["b", None, "a"], categories=["b", "a", "z"])})
    meta, values = _column(dataframe_to_table(df), "c")
    assert values == ["b", None, "a"]
    assert meta["dtype"] == "category"
    assert meta["categories"] == ["b", "a", "z"]
    numeric = pd.DataFrame({"c": pd.Categorical([10, 20])})
    meta, values = _column(dataframe_to_table(numeric), "c")
    assert values == [10, 20]
    assert meta["of"] == "integer"


def test_booleans_stay_booleans() -> None:
    df = pd.DataFrame({"b": [True, False], "o": np.array([np.bool_(True), None], dtype=object)})
    table = dataframe_to_table(df)
    assert table["rows"] == [[True, True], [False, None]]
    assert [c["dtype"] for c in table["columns"]] == ["boolean", "boolean"]


def test_multiindex_columns_are_joined_and_rows_become_columns() -> None:
    columns = pd.MultiIndex.from_tuples([("sales", "q1"), ("sales", "q2"), ("cost", "")])
    index = pd.MultiIndex.from_tuples([("north", 2024), ("south", 2025)], names=["region", None])
    df = pd.DataFrame([[1, 2, 3], [4, 5, 6]], columns=columns, index=index)
    table = dataframe_to_table(df)
    names = [c["name"] for c in table["columns"]]
    assert names == ["region", "level_1", "sales / q1", "sales / q2", "cost"]
    assert [c["index"] for c in table["columns"]] == [True, True, False, False, False]
    assert table["rows"] == [["north", 2024, 1, 2, 3], ["south", 2025, 4, 5, 6]]
    joined = dataframe_to_table(df, column_joiner=".", index=False)
    assert [c["name"] for c in joined["columns"]] == ["sales.q1", "sales.q2", "cost"]


def test_index_rules() -> None:
    default = pd.DataFrame({"a": [1, 2]})
    assert [c["name"] for c in dataframe_to_table(default)["columns"]] == ["a"]
    assert [c["name"] for c in dataframe_to_table(default, index=True)["columns"]] == [
        "index",
        "a",
    ]
    labelled = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    assert dataframe_to_table(labelled)["rows"] == [["x", 1], ["y", 2]]
    assert dataframe_to_table(labelled, index=False)["rows"] == [[1], [2]]
    dated = pd.DataFrame({"a": [1]}, index=pd.DatetimeIndex(["2024-01-01"], name="day"))
    table = dataframe_to_table(dated)
    assert table["columns"][0]["name"] == "day"
    assert table["rows"] == [["2024-01-01T00:00:00", 1]]


def test_fields_are_positional_and_duplicate_names_are_made_unique() -> None:
    df = pd.DataFrame([[1, 2, 3]], columns=["a", "a", "a.b"])
    table = dataframe_to_table(df)
    assert [(c["name"], c["field"]) for c in table["columns"]] == [
        ("a", "c0"),
        ("a (2)", "c1"),
        ("a.b", "c2"),
    ]


def test_object_cells() -> None:
    assert plain_cell(decimal.Decimal("1.25")) == 1.25
    assert plain_cell(np.float32(0.5)) == 0.5
    assert plain_cell(np.datetime64("2024-01-01T10:00")) == "2024-01-01T10:00:00"
    assert plain_cell(pd.NaT) is None
    assert plain_cell(pd.NA) is None
    assert plain_cell(b"caf\xc3\xa9") == "café"
    assert plain_cell({"k": np.int64(1)}) == {"k": 1}
    assert plain_cell(complex(1, 2)) == "(1+2j)"
    mixed = pd.DataFrame({"m": [decimal.Decimal("1.5"), 2, np.int64(3)]})
    assert dataframe_to_table(mixed)["columns"][0]["dtype"] == "number"


def test_series_list_of_dicts_and_empty_frames() -> None:
    series = pd.Series([1, 2], name="s")
    assert dataframe_to_table(series)["rows"] == [[1], [2]]
    records = [{"a": 1, "b": "x"}, {"b": "y", "c": np.nan}]
    table = dataframe_to_table(records)
    assert [c["name"] for c in table["columns"]] == ["a", "b", "c"]
    assert table["rows"] == [[1, "x", None], [None, "y", None]]
    assert dataframe_to_table(pd.DataFrame())["rows"] == []
    assert dataframe_to_table(pd.DataFrame(index=range(2)))["rows"] == [[], []]


def test_bad_input_is_refused() -> None:
    with pytest.raises(TypeError, match="DataFrame or a list of dicts"):
        dataframe_to_table(42)
    with pytest.raises(TypeError, match="list of dicts"):
        dataframe_to_table([1, 2])


def test_100k_rows_convert() -> None:
    rows = 100_000
    df = pd.DataFrame(
        {
            "id": np.arange(rows),
            "x": np.linspace(0, 1, rows),
            "when": pd.date_range("2020-01-01", periods=rows, freq="min"),
            "kind": pd.Categorical(np.where(np.arange(rows) % 2, "odd", "even")),
        }
    )
    table = dataframe_to_table(df)
    assert len(table["rows"]) == rows
    assert table["rows"][-1] == [rows - 1, 1.0, "2020-03-10T10:39:00", "odd"]
