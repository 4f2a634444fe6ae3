"""Elements that arrange or display: ``Div`` (nested children), ``Marquee`` of ``TickerItem``."""

from __future__ import annotations

import html
from typing import ClassVar, Literal

from pydantic import Field, SerializeAsAny, field_validator

from pywry.toolbar.base import Element, attrs, check_user_event

__all__ = ["Div", "Marquee", "TickerItem"]


class Div(Element):
    """A box holding text (``content``, escaped) and nested ``children``.

    It sends no event itself; its children do. Python may replace its text with
    ``set_toolbar_value(div.component_id, "new text")``.
    """

    kind: ClassVar[str] = "div"

    content: str = ""
    children: list[SerializeAsAny[Element]] = Field(default_factory=list)
    class_name: str = ""
    direction: Literal["row", "column"] = "row"

    @field_validator("class_name")
    @classmethod
    def _class_name(cls, value: str) -> str:
        if not all(c.isalnum() or c in "-_ " for c in value):
            raise ValueError("must be CSS class names: letters, digits, '-', '_' and spaces")
        return value

    def id_parts(self) -> tuple[str, ...]:
        return (self.label, self.content, *(child.component_id for child in self.children))

    def render(self) -> str:
        inner = "".join(child.render() for child in self.children)
        text = (
            f'<span class="pywry-div-content">{html.escape(self.content)}</span>'
            if self.content or not self.children
            else '<span class="pywry-div-content" hidden></span>'
        )
        classes = f"pywry-div pywry-div-{self.direction} {self.class_name}".strip()
        return (
            f'<div class="{html.escape(classes)}" {self.common_attrs()} '
            f"{attrs(aria_label=self.label or None)}>{text}{inner}</div>"
        )


class TickerItem(Element):
    """One entry of a :class:`Marquee`: ``label`` (e.g. a symbol) and a ``value`` text.

    Update it with ``set_toolbar_value(item.component_id, "189.20", tone="up")``.
    """

    kind: ClassVar[str] = "ticker"

    value: str = ""
    tone: Literal["up", "down", "neutral"] = "neutral"

    def render(self) -> str:
        return self.render_copy(with_id=True)

    def render_copy(self, *, with_id: bool) -> str:
        return (
            f'<span class="pywry-ticker pywry-tone-{self.tone}" '
            f"{attrs(id=self.component_id if with_id else None, data_ticker=self.component_id)} "
            f"{attrs(data_kind='ticker' if with_id else None, data_label=self.label)} "
            f"{attrs(role='button' if with_id else None)} "
            f"{attrs(tabindex='0' if with_id else None)}>"
            f'<span class="pywry-ticker-label">{html.escape(self.label)}</span> '
            f'<span class="pywry-ticker-value">{html.escape(self.value)}</span></span>'
        )


class Marquee(Element):
    """A scrolling band of :class:`TickerItem`. With an ``event``, clicking an item sends it.

    ``speed`` is the seconds one full loop takes; hovering pauses it.
    """

    kind: ClassVar[str] = "marquee"
    payload: ClassVar[str] = '{"ticker": str, "value": str, "componentId": str}'

    items: list[TickerItem] = Field(default_factory=list)
    event: str | None = None
    speed: float = Field(default=20.0, gt=0, le=600)

    @field_validator("event")
    @classmethod
    def _event(cls, value: str | None) -> str | None:
        return None if value is None else check_user_event(value)

    def id_parts(self) -> tuple[str, ...]:
        return (self.event or "", self.label, *(item.component_id for item in self.items))

    def render(self) -> str:
        first = "".join(item.render_copy(with_id=True) for item in self.items)
        second = "".join(item.render_copy(with_id=False) for item in self.items)
        return (
            f'<div class="pywry-marquee" {self.common_attrs()} '
            f"{attrs(data_event=self.event, aria_label=self.label or None)} "
            f'style="--pywry-marquee-speed: {self.speed:g}s">'
            f'<div class="pywry-marquee-track">{first}'
            f'<span class="pywry-marquee-copy" aria-hidden="true">{second}</span></div></div>'
        )
