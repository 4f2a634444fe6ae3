"""JSON encoding that understands the values data people send (numpy, pandas, dates)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid
from typing import Any

__all__ = ["dumps", "to_jsonable"]


def _default(obj: Any) -> Any:
    if isinstance(obj, (dt.datetime, dt.date, dt.time)):
        return obj.isoformat()
    if isinstance(obj, (decimal.Decimal, uuid.UUID)):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "to_plotly_json"):
        return obj.to_plotly_json()
    if hasattr(obj, "isoformat"):  # pandas Timestamp
        return obj.isoformat()
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serialisable")


def to_jsonable(obj: Any) -> Any:
    """``obj`` converted to plain JSON types; NaN and infinities become ``None``."""
    return json.loads(dumps(obj))


def _clean_floats(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean_floats(v) for v in obj]
    return obj


def dumps(obj: Any) -> str:
    """Compact JSON text; raises ``TypeError`` naming the type that cannot be encoded."""
    text = json.dumps(obj, default=_default, separators=(",", ":"), allow_nan=True)
    if "NaN" in text or "Infinity" in text:
        text = json.dumps(_clean_floats(json.loads(text)), separators=(",", ":"))
    return text
