"""PyWry: turn a Python script into a web app of widgets with Python callbacks."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
