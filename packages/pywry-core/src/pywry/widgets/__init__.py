"""Widgets: the objects ``show()`` returns, and the page that displays them."""

from __future__ import annotations

from pywry.widgets.widget import PlotlyWidget, Widget

__all__ = ["PlotlyWidget", "Widget"]
