"""Sliders and switches: ``SliderInput``, ``RangeInput``, ``Toggle``, ``Checkbox``."""

from __future__ import annotations

import html
from typing import ClassVar

from pydantic import Field, model_validator

from pywry.toolbar.base import Component, attrs, number_text

__all__ = ["Checkbox", "RangeInput", "SliderInput", "Toggle"]


class _Bounded(Component):
    min: float = 0
    max: float = 100
    step: float = Field(default=1, gt=0)
    #: Show the current value(s) next to the slider.
    show_value: bool = True

    def check(self, *values: float) -> None:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be less than max ({self.max})")
        for value in values:
            if not self.min <= value <= self.max:
                raise ValueError(f"value {value} is outside [{self.min}, {self.max}]")

    def range_attrs(self, value: float) -> str:
        return attrs(
            type="range",
            min=number_text(self.min),
            max=number_text(self.max),
            step=number_text(self.step),
            value=number_text(value),
        )


class SliderInput(_Bounded):
    """A slider; releasing it (or a key press) sends the value."""

    kind: ClassVar[str] = "slider"
    payload: ClassVar[str] = '{"value": float, "componentId": str}'

    value: float = 0

    @model_validator(mode="after")
    def _in_bounds(self) -> SliderInput:
        self.check(self.value)
        return self

    def render(self) -> str:
        shown = (
            f'<output class="pywry-slider-value" {attrs(for_=self.component_id)}>'
            f"{number_text(self.value)}</output>"
            if self.show_value
            else ""
        )
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<input class="pywry-slider" {self.common_attrs()} {self.range_attrs(self.value)}>'
            f"{shown}</span>"
        )


class RangeInput(_Bounded):
    """Two handles choosing ``start`` <= ``end`` within ``min``/``max``."""

    kind: ClassVar[str] = "range"
    payload: ClassVar[str] = '{"start": float, "end": float, "componentId": str}'

    start: float = 0
    end: float = 100

    @model_validator(mode="after")
    def _ordered(self) -> RangeInput:
        self.check(self.start, self.end)
        if self.start > self.end:
            raise ValueError(f"start ({self.start}) is greater than end ({self.end})")
        return self

    def render(self) -> str:
        name = self.label or "Range"
        handles = "".join(
            f'<input class="pywry-slider" {self.range_attrs(value)} '
            f"{attrs(data_handle=handle, aria_label=f'{name} {handle}', disabled=self.disabled)}>"
            for handle, value in (("start", self.start), ("end", self.end))
        )
        start, end = number_text(self.start), number_text(self.end)
        shown = (
            f'<output class="pywry-range-value">{start} to {end}</output>'
            if self.show_value
            else ""
        )
        return (
            f'<span class="pywry-field">{self.group_label_html()}'
            f'<span class="pywry-range" {self.common_attrs()} {self.group_attrs()} '
            f">{handles}{shown}</span></span>"
        )


class _Switch(Component):
    value: bool = False

    def render_switch(self, extra: str) -> str:
        text = html.escape(self.label)
        return (
            f'<label class="pywry-check {extra}">'
            f'<input type="checkbox" {self.common_attrs()} {attrs(checked=self.value)} '
            f"{attrs(role='switch' if self.kind == 'toggle' else None)}>"
            f'<span class="pywry-check-mark" aria-hidden="true"></span>'
            f"<span>{text}</span></label>"
        )


class Toggle(_Switch):
    """An on/off switch."""

    kind: ClassVar[str] = "toggle"
    payload: ClassVar[str] = '{"value": bool, "componentId": str}'

    def render(self) -> str:
        return self.render_switch("pywry-toggle")


class Checkbox(_Switch):
    """A check box."""

    kind: ClassVar[str] = "checkbox"
    payload: ClassVar[str] = '{"value": bool, "componentId": str}'

    def render(self) -> str:
        return self.render_switch("pywry-checkbox")
