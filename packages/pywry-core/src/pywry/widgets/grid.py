"""The DataFrame grid widget: what ``show_dataframe()`` returns.

The browser side is ``assets/grid-widget.js`` on Tabulator (``docs/grid.md``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pywry._clip import clip
from pywry.widgets.data import INLINE_LIMIT, DataWidget
from pywry.widgets.dataframe import DEFAULT_JOINER, dataframe_to_table, plain_cell

__all__ = [
    "COLUMN_OPTIONS",
    "INLINE_LIMIT",
    "MAX_EDIT_CHARS",
    "DataFrameWidget",
    "Selection",
    "grid_options",
]

if TYPE_CHECKING:
    from pywry.context import Viewer
    from pywry.progress import Run

logger = logging.getLogger("pywry.grid")

Selection = Literal["multiple", "single", "none"]
#: Keys ``update_columns`` accepts for a column.
COLUMN_OPTIONS = frozenset({"title", "hidden", "width", "editable", "frozen"})
#: Longest text a browser's ``grid:cell-edit`` may store in a cell.
MAX_EDIT_CHARS = 10_000


def grid_options(
    *,
    editable: bool | Sequence[str],
    selection: Selection,
    csv_filename: str,
    index: bool | None,
    column_joiner: str,
) -> dict[str, Any]:
    """The ``options`` payload of a grid, validated."""
    if selection not in ("multiple", "single", "none"):
        raise ValueError(f"selection must be 'multiple', 'single' or 'none', got {selection!r}")
    if not isinstance(editable, bool):
        if isinstance(editable, str) or not all(isinstance(c, str) for c in editable):
            raise TypeError("editable must be True/False or a list of column names")
        editable = list(editable)
    return {
        "editable": editable,
        "selection": selection,
        "csvFilename": csv_filename,
        "index": index,
        "columnJoiner": column_joiner,
    }


class DataFrameWidget(DataWidget):
    """A widget showing a DataFrame in an interactive grid.

    Rows are named by their position in the frame (0-based); columns by their
    (flattened) name or their position. See ``docs/grid.md`` for the events.
    """

    kind = "dataframe"

    @property
    def columns(self) -> list[str]:
        """The grid's column names, index columns first."""
        return [str(column["name"]) for column in self.payload["table"]["columns"]]

    @property
    def row_count(self) -> int:
        return len(self.payload["table"]["rows"])

    def cell(self, row: int, col: str | int) -> Any:
        """The current value of a cell (as the grid holds it: plain JSON)."""
        return self.payload["table"]["rows"][self._row(row)][self._column(col)]

    # -- Python to browser -----------------------------------------------------
    def update_cell(self, row: int, col: str | int, value: Any) -> None:
        """Set one cell, in open browsers and for new page loads."""
        r, c = self._row(row), self._column(col)
        cell = plain_cell(value)
        if self._for_everyone():
            self.payload["table"]["rows"][r][c] = cell
            self._changed()
        self.emit("grid:update-cell", {"row": r, "column": self.columns[c], "value": cell})

    def update_data(
        self, df: Any, *, index: bool | None = None, column_joiner: str | None = None
    ) -> None:
        """Replace every row (and the columns) with ``df``'s."""
        options = self.payload["options"]
        table = dataframe_to_table(
            df,
            index=options.get("index") if index is None else index,
            column_joiner=column_joiner or options.get("columnJoiner") or DEFAULT_JOINER,
        )
        if not self._for_everyone():  # this viewer's grid only: the rows travel inline
            self.emit("grid:update-data", {"table": table, "rowCount": len(table["rows"])})
            return
        self.payload["table"] = table
        self._changed()
        data = {**self._update_event(table=table), "rowCount": len(table["rows"])}
        self.emit("grid:update-data", data)

    def update_columns(self, columns: Mapping[str | int, Mapping[str, Any]]) -> None:
        """Change columns' ``title``, ``hidden``, ``width`` (px), ``editable``, ``frozen``.

        ``columns`` maps a column name (or position) to its changes, for example
        ``{"price": {"title": "Price ($)", "width": 120}, "internal": {"hidden": True}}``.
        """
        table_columns = self.payload["table"]["columns"]
        chosen: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
        for key, update in columns.items():  # check every change before applying any
            unknown = set(update) - COLUMN_OPTIONS
            if unknown:
                raise ValueError(
                    f"Unknown column option(s) {sorted(unknown)} for {key!r}; "
                    f"expected some of {sorted(COLUMN_OPTIONS)}"
                )
            chosen.append((table_columns[self._column(key)], update))
        changes: list[dict[str, Any]] = []
        shared = self._for_everyone()
        for column, update in chosen:
            if shared:
                column.update(update)
            changes.append({"name": column["name"], "field": column["field"], **update})
        if shared:
            self._changed()
        self.emit("grid:update-columns", {"columns": changes})

    def export_csv(self, filename: str | None = None) -> None:
        """Make every viewing browser download the grid (as filtered and sorted) as CSV."""
        self.emit(
            "grid:export-csv", {"filename": filename or self.payload["options"]["csvFilename"]}
        )

    # -- browser to Python -----------------------------------------------------
    async def dispatch(
        self,
        event: str,
        data: Any,
        *,
        origin: str | None = None,
        viewer: Viewer | None = None,
        run: Run | None = None,
    ) -> int:
        """Apply ``grid:cell-edit`` to the stored data, then run the callbacks.

        An edit the grid does not offer (a read-only grid or column, an unknown row or
        column, a value that is not a JSON scalar or is longer than
        :data:`MAX_EDIT_CHARS`) is refused: logged, not stored, no callback runs, and
        the page that sent it gets the stored value of the cell back.
        """
        if event == "grid:cell-edit" and not self._apply_edit(data, origin):
            return 0
        return await super().dispatch(event, data, origin=origin, viewer=viewer, run=run)

    def _apply_edit(self, data: Any, origin: str | None) -> bool:
        """Store a browser's edit; ``False`` (and a warning) if it is refused."""
        try:
            r, c = self._row(data["row"]), self._column(data["column"])
        except (KeyError, TypeError, IndexError, ValueError):
            logger.warning("Refused a malformed grid:cell-edit on %r: %s", self.label, clip(data))
            return False
        name = self.columns[c]
        reason = self._edit_refusal(c, data.get("value"))
        if reason is not None:
            logger.warning(
                "Refused a grid:cell-edit of row %d, column %s on %r: %s",
                r,
                clip(name),
                self.label,
                reason,
            )
            if origin is not None:  # put the page's cell back
                stored = self.payload["table"]["rows"][r][c]
                self._send_to(
                    origin, "grid:update-cell", {"row": r, "column": name, "value": stored}
                )
            return False
        self.payload["table"]["rows"][r][c] = plain_cell(data.get("value"))
        self._changed()
        return True

    def _editable(self, c: int) -> bool:
        """Whether column ``c`` takes edits from the page (as ``grid-widget.js`` decides)."""
        column = self.payload["table"]["columns"][c]
        if isinstance(column.get("editable"), bool):  # set by update_columns
            return bool(column["editable"])
        if column.get("index"):
            return False
        editable = self.payload["options"].get("editable")
        return editable is True or (isinstance(editable, list) and column["name"] in editable)

    def _edit_refusal(self, c: int, value: Any) -> str | None:
        """Why a page may not store ``value`` in column ``c``; ``None`` if it may."""
        if not self._editable(c):
            return "the column is not editable"
        if value is not None and not isinstance(value, (str, int, float)):  # bool is an int
            return f"the value is a {type(value).__name__}, not a JSON scalar"
        if isinstance(value, float) and not math.isfinite(value):
            return "the value is not a finite number"
        if isinstance(value, str) and len(value) > MAX_EDIT_CHARS:
            return f"the value has {len(value):,} characters (at most {MAX_EDIT_CHARS:,})"
        return None

    # -- helpers ---------------------------------------------------------------
    def _row(self, row: int) -> int:
        if not isinstance(row, int) or isinstance(row, bool):
            raise TypeError(f"row must be a row position (int), got {row!r}")
        if not 0 <= row < self.row_count:
            raise IndexError(f"row {row} out of range: the grid has {self.row_count} rows")
        return row

    def _column(self, col: str | int) -> int:
        names = self.columns
        if isinstance(col, int) and not isinstance(col, bool):
            if not 0 <= col < len(names):
                raise IndexError(f"column {col} out of range: the grid has {len(names)} columns")
            return col
        if isinstance(col, str) and col in names:
            return names.index(col)
        raise ValueError(f"Unknown column {col!r}; the grid's columns are {names}")
