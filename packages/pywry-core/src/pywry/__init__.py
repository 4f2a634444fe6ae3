"""PyWry: turn a Python script into a web app of widgets with Python callbacks."""

from __future__ import annotations

from pywry.context import EventContext, current_context, everyone

__version__ = "0.1.0"

__all__ = ["EventContext", "__version__", "current_context", "everyone"]
