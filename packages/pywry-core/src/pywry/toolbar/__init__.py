"""Toolbars and their components.

Every component emits its ``event`` (``namespace:name``) to Python with a data dict
that includes ``componentId``; payloads are listed in ``docs/protocol.md``.
"""

from __future__ import annotations

from pywry.toolbar.base import RESERVED_NAMESPACES, Component
from pywry.toolbar.components import Button, Option, Select
from pywry.toolbar.toolbar import Position, Toolbar

__all__ = ["RESERVED_NAMESPACES", "Button", "Component", "Option", "Position", "Select", "Toolbar"]
