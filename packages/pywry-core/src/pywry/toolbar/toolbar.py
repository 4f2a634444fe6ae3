"""A row (or column) of components placed around a widget's content."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from pywry.toolbar.base import Element, attrs, stable_id

__all__ = ["Position", "Toolbar"]

Position = Literal["header", "footer", "top", "bottom", "left", "right", "inside"]


class Toolbar(BaseModel):
    """Components shown together at ``position`` around the widget.

    - ``header``/``footer``: the page's first/last band; ``top``/``bottom``: just
      above/below the content; ``left``/``right``: vertical bars beside it;
      ``inside``: over the content's top-right corner.
    - ``collapsible``: a button folds the bar away and back (browser-only).
    - ``resizable``: a handle on the bar's inner edge drags its width (``left``,
      ``right``) or height (other positions).
    """

    model_config = ConfigDict(extra="forbid")

    items: list[SerializeAsAny[Element]] = Field(default_factory=list)
    position: Position = "top"
    toolbar_id: str = ""
    label: str = ""
    collapsible: bool = False
    collapsed: bool = False
    resizable: bool = False

    def model_post_init(self, context: Any) -> None:
        if not self.toolbar_id:
            self.toolbar_id = stable_id(
                "toolbar", self.position, *(item.component_id for item in self.items)
            )

    def walk(self) -> Iterator[Element]:
        """Every element of the toolbar, nested ``Div`` children and ticker items included."""
        stack: list[Element] = list(reversed(self.items))
        while stack:
            element = stack.pop()
            yield element
            stack.extend(reversed(getattr(element, "children", None) or []))
            stack.extend(reversed(getattr(element, "items", None) or []))

    def render(self) -> str:
        """The toolbar's HTML: escaped, with every component rendered in order."""
        inner = "".join(item.render() for item in self.items)
        vertical = self.position in ("left", "right")
        classes = f"pywry-toolbar pywry-toolbar-{self.position}"
        classes += " pywry-toolbar-vertical" if vertical else ""
        classes += " pywry-collapsed" if self.collapsible and self.collapsed else ""
        toggle = ""
        if self.collapsible:
            name = f"Toggle {self.label or 'toolbar'}"
            toggle = (
                '<button type="button" class="pywry-toolbar-toggle" '
                f"{attrs(aria_label=name, aria_expanded=str(not self.collapsed).lower())} "
                f"{attrs(aria_controls=f'{self.toolbar_id}-items')}>"
                f'<span aria-hidden="true">{"▸" if vertical else "▾"}</span></button>'
            )
        handle = ""
        if self.resizable:
            axis = "x" if vertical else "y"
            handle = (
                f'<div class="pywry-resize-handle pywry-resize-{axis}" '
                f"{attrs(role='separator', aria_orientation='vertical' if vertical else 'horizontal', data_resize=axis)}"  # noqa: E501
                f' aria-label="Resize toolbar"></div>'
            )
        return (
            f"<div {attrs(id=self.toolbar_id, role='toolbar', aria_label=self.label or None)} "
            f'class="{html.escape(classes)}" {attrs(data_position=self.position)}>{toggle}'
            f'<div class="pywry-toolbar-items" id="{html.escape(self.toolbar_id)}-items">'
            f"{inner}</div>{handle}</div>"
        )
