"""Plotly figures: conversion to the JSON that plotly.js draws."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pywry import _json

__all__ = ["figure_to_dict"]


def figure_to_dict(figure: Any) -> dict[str, Any]:
    """``{"data": [...], "layout": {...}}`` from a Figure, a ``to_dict()``-able or a mapping."""
    if hasattr(figure, "to_plotly_json"):
        raw: Any = figure.to_plotly_json()
    elif hasattr(figure, "to_dict"):
        raw = figure.to_dict()
    elif isinstance(figure, Mapping):
        raw = dict(figure)
    else:
        raise TypeError(
            f"show_plotly() needs a plotly Figure or a dict with 'data' and 'layout', "
            f"got {type(figure).__name__}"
        )
    result = _json.to_jsonable(raw)
    if not isinstance(result, dict):
        raise TypeError("A Plotly figure must convert to a JSON object")
    result.setdefault("data", [])
    result.setdefault("layout", {})
    return result
