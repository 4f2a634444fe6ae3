"""Widgets: the objects ``show()`` returns, and the page that displays them."""

from __future__ import annotations

from pywry.widgets.grid import DataFrameWidget
from pywry.widgets.plotly import PlotlyWidget
from pywry.widgets.widget import Widget

__all__ = ["DataFrameWidget", "PlotlyWidget", "Widget"]
