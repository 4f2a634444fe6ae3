"""DataFrames: conversion to rows and columns for the browser table."""

from __future__ import annotations

import html
from typing import Any

from pywry import _json
from pywry.errors import OptionalDependencyError

__all__ = ["dataframe_to_table", "render_table"]


def dataframe_to_table(df: Any) -> dict[str, Any]:
    """``{"columns": [...], "rows": [[...], ...]}`` with JSON-safe cells.

    Accepts a pandas DataFrame (a MultiIndex on the columns is joined with ``" / "``,
    the index is kept as leading columns), or a list of dicts.
    """
    if isinstance(df, list):
        columns = list(dict.fromkeys(key for row in df for key in row))
        rows = [[row.get(col) for col in columns] for row in df]
        return {"columns": [str(c) for c in columns], "rows": _json.to_jsonable(rows)}
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - exercised in the isolation session
        raise OptionalDependencyError("pandas", "show_dataframe()") from exc
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"show_dataframe() needs a pandas DataFrame, got {type(df).__name__}")
    frame = df.reset_index() if _has_named_index(df) else df
    columns = [
        " / ".join(str(part) for part in col) if isinstance(col, tuple) else str(col)
        for col in frame.columns
    ]
    values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return {"columns": columns, "rows": _json.to_jsonable(values)}


def _has_named_index(df: Any) -> bool:
    return any(name is not None for name in df.index.names)


def render_table(table: dict[str, Any]) -> str:
    """A plain, escaped HTML table (what the page shows before scripts run)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table["columns"])
    body = "".join(
        "<tr>"
        + "".join(f"<td>{'' if v is None else html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in table["rows"]
    )
    return f'<table class="pywry-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
