"""DataFrames to the grid's JSON: columns with types, and rows of plain JSON values.

The table document (``docs/grid.md``)::

    {"columns": [{"name": "price", "field": "c1", "dtype": "number", "index": false}, ...],
     "rows": [[...], ...]}

- Row ``i`` of ``rows`` is the frame's ``i``-th row (by position); events and
  ``update_cell`` name rows by that position.
- Cells are ``null`` for ``None``, ``NaN``, ``NaT``, ``pd.NA`` and infinities; numpy
  scalars become Python numbers; dates, datetimes and times become ISO 8601 strings
  (with their UTC offset when tz-aware); timedeltas ISO 8601 durations; categoricals
  their category values; ``Decimal`` a float; other objects ``str()``.
- MultiIndex columns are flattened by joining the non-empty level values with
  ``column_joiner`` (``" / "`` by default): ``("sales", "q1")`` → ``"sales / q1"``.
- The index becomes leading columns (``"index": true``) when ``index=True``, or, with
  the default ``index=None``, when it is anything but a default ``RangeIndex``. Each
  level is one column, named after the level, else ``index`` (one level) or
  ``level_<i>`` (a MultiIndex), as ``DataFrame.reset_index()`` names them.
- Duplicate column names get `` (2)``, `` (3)``... appended.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pywry import _json
from pywry.errors import OptionalDependencyError

# pandas (and numpy with it) is imported inside the functions that use it: it is an
# optional dependency (pywry-core[pandas]), and core must import without it.

__all__ = ["DEFAULT_JOINER", "dataframe_to_table", "plain_cell"]

DEFAULT_JOINER = " / "


def plain_cell(value: Any) -> Any:
    """One cell as a plain JSON value (see the module docstring for the rules)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return None if _is_missing(value) else value.isoformat()
    if isinstance(value, dt.timedelta):
        import pandas as pd

        return None if _is_missing(value) else pd.Timedelta(value).isoformat()
    if isinstance(value, decimal.Decimal):
        return plain_cell(float(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if _is_missing(value):
        return None
    if type(value).__module__ == "numpy":
        return _numpy_scalar(value)
    if isinstance(value, (Mapping, list, tuple)):
        return _json.to_jsonable(value)
    return str(value)


def _numpy_scalar(value: Any) -> Any:
    import pandas as pd

    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if kind == "M":
        return pd.Timestamp(value).isoformat()
    if kind == "m":
        return pd.Timedelta(value).isoformat()
    if kind == "c":
        return str(value)
    return plain_cell(value.item()) if hasattr(value, "item") else str(value)


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - plain rows never need pandas
        return False
    return value is pd.NaT or value is pd.NA


def dataframe_to_table(
    df: Any, *, index: bool | None = None, column_joiner: str = DEFAULT_JOINER
) -> dict[str, Any]:
    """The table document of ``df``: a pandas DataFrame or Series, or a list of dicts."""
    if isinstance(df, list):
        return _records_to_table(df)
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - exercised in the isolation session
        raise OptionalDependencyError("pandas", "show_dataframe()") from exc
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"show_dataframe() needs a pandas DataFrame or a list of dicts, got {type(df).__name__}"
        )
    names: list[str] = []
    columns: list[dict[str, Any]] = []
    values: list[list[Any]] = []
    if _include_index(df, index):
        levels = df.index.nlevels
        for i in range(levels):
            level_name = df.index.names[i]
            fallback = "index" if levels == 1 else f"level_{i}"
            name = fallback if level_name is None else str(level_name)
            cells, meta = _series_values(pd.Series(df.index.get_level_values(i)))
            names.append(name)
            columns.append({**meta, "index": True})
            values.append(cells)
    for position, key in enumerate(df.columns):
        cells, meta = _series_values(df.iloc[:, position])
        names.append(_flatten(key, column_joiner))
        columns.append({**meta, "index": False})
        values.append(cells)
    for i, (name, column) in enumerate(zip(_unique(names), columns, strict=True)):
        column.update(name=name, field=f"c{i}")
    rows = [list(row) for row in zip(*values, strict=True)] if values else []
    if not values:
        rows = [[] for _ in range(len(df))]
    return {"columns": [_ordered(c) for c in columns], "rows": rows}


def _ordered(column: dict[str, Any]) -> dict[str, Any]:
    head = {key: column[key] for key in ("name", "field", "dtype", "index")}
    return {**head, **{k: v for k, v in column.items() if k not in head}}


def _include_index(df: Any, index: bool | None) -> bool:
    if index is not None:
        return index
    import pandas as pd

    idx = df.index
    default = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1
    return not (default and idx.name is None)


def _flatten(key: Any, joiner: str) -> str:
    if isinstance(key, tuple):
        parts = [str(part) for part in key if part is not None and str(part) != ""]
        return joiner.join(parts)
    return str(key)


def _unique(names: Sequence[str]) -> list[str]:
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, count = name, 1
        while candidate in taken:
            count += 1
            candidate = f"{name} ({count})"
        taken.add(candidate)
        out.append(candidate)
    return out


def _series_values(series: Any) -> tuple[list[Any], dict[str, Any]]:
    """A column's cells as plain values, and its metadata (``dtype`` and extras)."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories, meta = _series_values(pd.Series(dtype.categories))
        codes = series.cat.codes.to_numpy().tolist()
        cells = [categories[code] if code >= 0 else None for code in codes]
        return cells, {"dtype": "category", "categories": categories, "of": meta["dtype"]}
    if types.is_bool_dtype(dtype) and not types.is_object_dtype(dtype):
        return _masked(series), {"dtype": "boolean"}
    if types.is_integer_dtype(dtype):
        return _masked(series), {"dtype": "integer"}
    if types.is_float_dtype(dtype):
        array = series.to_numpy(dtype="float64", na_value=np.nan)
        cells = array.tolist()
        for i in np.flatnonzero(~np.isfinite(array)).tolist():
            cells[i] = None
        return cells, {"dtype": "number"}
    if types.is_datetime64_any_dtype(dtype):
        return [None if v is pd.NaT else v.isoformat() for v in series.tolist()], {
            "dtype": "datetime"
        }
    cells = [plain_cell(v) for v in series.to_numpy(dtype=object).tolist()]
    if types.is_timedelta64_dtype(dtype):
        return cells, {"dtype": "duration"}
    return cells, {"dtype": _infer(series.to_numpy(dtype=object).tolist())}


def _masked(series: Any) -> list[Any]:
    mask = series.isna().to_numpy().tolist()
    raw = series.to_numpy(dtype=object).tolist()
    return [None if missing else plain_cell(v) for v, missing in zip(raw, mask, strict=True)]


def _kind(value: Any) -> str:
    if type(value).__module__ == "numpy":
        code = getattr(getattr(value, "dtype", None), "kind", "")
        if code == "M":
            return "datetime"
        if code and code in "biuf" and hasattr(value, "item"):
            value = value.item()
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, decimal.Decimal)):
        return "number"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    return "string"


def _infer(raw: list[Any]) -> str:
    """The grid type of an object column: one kind for all, numbers mixed, else string."""
    kinds = {_kind(v) for v in raw if plain_cell(v) is not None}
    if len(kinds) == 1:
        return kinds.pop()
    return "number" if kinds == {"integer", "number"} else "string"


def _records_to_table(records: list[Any]) -> dict[str, Any]:
    if not all(isinstance(row, Mapping) for row in records):
        raise TypeError("show_dataframe() needs a list of dicts (one per row)")
    keys = list(dict.fromkeys(key for row in records for key in row))
    raw = [[row.get(key) for key in keys] for row in records]
    columns = [
        {
            "name": name,
            "field": f"c{i}",
            "dtype": _infer([row[i] for row in raw]),
            "index": False,
        }
        for i, name in enumerate(_unique([str(k) for k in keys]))
    ]
    return {"columns": columns, "rows": [[plain_cell(v) for v in row] for row in raw]}
