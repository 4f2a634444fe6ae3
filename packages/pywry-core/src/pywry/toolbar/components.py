"""The basic controls: buttons and selects."""

from __future__ import annotations

import html
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from pywry.toolbar.base import Component, attrs

__all__ = ["Button", "Option", "Select"]


class Option(BaseModel):
    """One choice of a :class:`Select`."""

    model_config = ConfigDict(extra="forbid")

    label: str
    value: str

    def render(self, selected: str | None) -> str:
        chosen = self.value == selected
        return (
            f"<option {attrs(value=self.value, selected=chosen)}>{html.escape(self.label)}</option>"
        )


class Button(Component):
    """A button. Clicking emits ``event`` with ``{**data, "componentId": ...}``."""

    kind: ClassVar[str] = "button"

    data: dict[str, Any] = {}
    variant: Literal["primary", "secondary", "neutral", "danger", "ghost"] = "neutral"
    size: Literal["sm", "md", "lg"] = "md"

    def render(self) -> str:
        classes = f"pywry-button pywry-button-{self.variant} pywry-size-{self.size}"
        return (
            f'<button type="button" class="{classes}" {self.common_attrs()} '
            f"{attrs(data_payload=self.data)}>{html.escape(self.label or self.event)}</button>"
        )


class Select(Component):
    """A drop-down. Choosing emits ``event`` with ``{"value": ..., "componentId": ...}``."""

    kind: ClassVar[str] = "select"

    options: list[Option]
    selected: str | None = None

    @model_validator(mode="after")
    def _selected_is_an_option(self) -> Select:
        values = [option.value for option in self.options]
        if self.selected is not None and self.selected not in values:
            raise ValueError(f"selected={self.selected!r} is not one of the option values {values}")
        return self

    def render(self) -> str:
        options = "".join(option.render(self.selected) for option in self.options)
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<select class="pywry-select" {self.common_attrs()}>{options}</select></span>'
        )
