"""A row (or column) of components placed around a widget's content."""

from __future__ import annotations

import hashlib
import html
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from pywry.toolbar.base import Component, attrs

__all__ = ["Position", "Toolbar"]

Position = Literal["header", "footer", "top", "bottom", "left", "right", "inside"]


class Toolbar(BaseModel):
    """Components shown together at ``position`` around the widget."""

    model_config = ConfigDict(extra="forbid")

    items: list[SerializeAsAny[Component]] = Field(default_factory=list)
    position: Position = "top"
    toolbar_id: str = ""
    label: str = ""

    def model_post_init(self, context: Any) -> None:
        if not self.toolbar_id:
            ids = "|".join(item.component_id for item in self.items)
            digest = hashlib.sha256(f"{self.position}|{ids}".encode()).hexdigest()
            self.toolbar_id = f"toolbar-{digest[:10]}"

    def render(self) -> str:
        """The toolbar's HTML: escaped, with every component rendered in order."""
        inner = "".join(item.render() for item in self.items)
        vertical = self.position in ("left", "right")
        return (
            f"<div {attrs(id=self.toolbar_id, role='toolbar', aria_label=self.label or None)} "
            f'class="pywry-toolbar pywry-toolbar-{html.escape(self.position)}'
            f'{" pywry-toolbar-vertical" if vertical else ""}">{inner}</div>'
        )
