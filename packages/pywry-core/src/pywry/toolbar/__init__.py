"""Toolbars and their components.

Every component emits its ``event`` (``namespace:name``) to Python with a data dict
that includes ``componentId``; each class's ``payload`` attribute documents that
data, and ``docs/toolbar.md`` lists them all. Python changes components with
``widget.set_toolbar_value(...)`` / ``set_toolbar_values(...)`` and reads them with
``widget.request_toolbar_state()``.
"""

from __future__ import annotations

from pywry.toolbar.base import RESERVED_NAMESPACES, Component, Element
from pywry.toolbar.components import Button, MultiSelect, Option, RadioGroup, Select, TabGroup
from pywry.toolbar.controls import Checkbox, RangeInput, SliderInput, Toggle
from pywry.toolbar.files import FileInput
from pywry.toolbar.inputs import (
    DateInput,
    NumberInput,
    SearchInput,
    SecretInput,
    TextArea,
    TextInput,
)
from pywry.toolbar.layout import Div, Marquee, TickerItem
from pywry.toolbar.session import ToolbarSession, ToolbarState
from pywry.toolbar.toolbar import Position, Toolbar

__all__ = [
    "RESERVED_NAMESPACES",
    "Button",
    "Checkbox",
    "Component",
    "DateInput",
    "Div",
    "Element",
    "FileInput",
    "Marquee",
    "MultiSelect",
    "NumberInput",
    "Option",
    "Position",
    "RadioGroup",
    "RangeInput",
    "SearchInput",
    "SecretInput",
    "Select",
    "SliderInput",
    "TabGroup",
    "TextArea",
    "TextInput",
    "TickerItem",
    "Toggle",
    "Toolbar",
    "ToolbarSession",
    "ToolbarState",
]
