"""Buttons and the controls that choose among options."""

from __future__ import annotations

import html
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pywry.toolbar.base import Component, attrs

__all__ = ["Button", "MultiSelect", "Option", "RadioGroup", "Select", "TabGroup"]


class Option(BaseModel):
    """One choice of a :class:`Select`, :class:`MultiSelect`, :class:`RadioGroup` or
    :class:`TabGroup`. ``label`` is what users see (escaped), ``value`` what Python gets.
    """

    model_config = ConfigDict(extra="forbid")

    label: str
    value: str

    def render(self, selected: str | None) -> str:
        chosen = self.value == selected
        return (
            f"<option {attrs(value=self.value, selected=chosen)}>{html.escape(self.label)}</option>"
        )


class _Choices(Component):
    """A component with ``options`` whose ``selected`` value(s) must be among them."""

    options: list[Option]

    def option_values(self) -> list[str]:
        return [option.value for option in self.options]

    def check_chosen(self, chosen: list[str]) -> None:
        values = self.option_values()
        missing = [value for value in chosen if value not in values]
        if missing:
            raise ValueError(
                f"selected value(s) {missing} are not among the option values {values}"
            )


class Button(Component):
    """A button. ``data`` is sent with every click; ``variant`` and ``size`` style it."""

    kind: ClassVar[str] = "button"
    payload: ClassVar[str] = '{**data, "componentId": str}'

    data: dict[str, Any] = Field(default_factory=dict)
    variant: Literal["primary", "secondary", "neutral", "danger", "ghost"] = "neutral"
    size: Literal["sm", "md", "lg"] = "md"

    def render(self) -> str:
        classes = f"pywry-button pywry-button-{self.variant} pywry-size-{self.size}"
        return (
            f'<button type="button" class="{classes}" {self.common_attrs()} '
            f"{attrs(data_payload=self.data)}>{html.escape(self.label or self.event)}</button>"
        )


class _OneChoice(_Choices):
    """A component with at most one ``selected`` value among its ``options``."""

    selected: str | None = None

    @model_validator(mode="after")
    def _selected_is_an_option(self) -> _OneChoice:
        if self.selected is not None:
            self.check_chosen([self.selected])
        return self


class Select(_OneChoice):
    """A drop-down of ``options``. ``searchable`` adds a box that filters the options."""

    kind: ClassVar[str] = "select"
    payload: ClassVar[str] = '{"value": str, "componentId": str}'

    searchable: bool = False

    def render(self) -> str:
        options = "".join(option.render(self.selected) for option in self.options)
        search = ""
        if self.searchable:
            search = (
                '<input type="search" class="pywry-input pywry-select-search" '
                f"{attrs(data_filter_for=self.component_id, aria_label='Search options')} "
                'placeholder="Search…">'
            )
        return (
            f'<span class="pywry-field">{self.label_html()}{search}'
            f'<select class="pywry-select" {self.common_attrs()}>{options}</select></span>'
        )


class MultiSelect(_Choices):
    """A list of ``options`` of which any number may be ``selected``."""

    kind: ClassVar[str] = "multiselect"
    payload: ClassVar[str] = '{"values": list[str], "componentId": str}'

    selected: list[str] = Field(default_factory=list)
    #: Rows visible without scrolling.
    size: int = Field(default=4, ge=2, le=20)

    @model_validator(mode="after")
    def _selected_are_options(self) -> MultiSelect:
        self.check_chosen(self.selected)
        return self

    def render(self) -> str:
        chosen = set(self.selected)
        options = "".join(
            f"<option {attrs(value=o.value, selected=o.value in chosen)}>"
            f"{html.escape(o.label)}</option>"
            for o in self.options
        )
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<select multiple class="pywry-select pywry-multiselect" {self.common_attrs()} '
            f"{attrs(size=str(min(self.size, max(2, len(self.options)))))}>{options}</select>"
            "</span>"
        )


class RadioGroup(_OneChoice):
    """Radio buttons: exactly one of ``options`` is chosen."""

    kind: ClassVar[str] = "radio"
    payload: ClassVar[str] = '{"value": str, "componentId": str}'

    direction: Literal["horizontal", "vertical"] = "horizontal"

    def render(self) -> str:
        name = self.component_id
        radios = "".join(
            '<label class="pywry-radio">'
            f"<input {attrs(type='radio', name=name, value=o.value)} "
            f"{attrs(checked=o.value == self.selected, disabled=self.disabled)}>"
            f"<span>{html.escape(o.label)}</span></label>"
            for o in self.options
        )
        return (
            f'<span class="pywry-field">{self.group_label_html()}'
            f'<span class="pywry-radio-group pywry-{self.direction}" {self.common_attrs()} '
            f"{self.group_attrs()}>{radios}</span></span>"
        )


class TabGroup(_OneChoice):
    """Tabs: one of ``options`` is active; clicking another one selects it."""

    kind: ClassVar[str] = "tabs"
    payload: ClassVar[str] = '{"value": str, "componentId": str}'

    @model_validator(mode="after")
    def _selected_is_an_option(self) -> TabGroup:
        if self.selected is None and self.options:
            self.selected = self.options[0].value
        elif self.selected is not None:
            self.check_chosen([self.selected])
        return self

    def render(self) -> str:
        tabs = "".join(
            f'<button type="button" class="pywry-tab" '
            f"{attrs(role='tab', data_value=o.value, aria_selected=str(o.value == self.selected).lower(), disabled=self.disabled)}>"  # noqa: E501
            f"{html.escape(o.label)}</button>"
            for o in self.options
        )
        return (
            f'<span class="pywry-field">{self.group_label_html()}'
            f'<span class="pywry-tab-group" {self.common_attrs()} '
            f"{attrs(role='tablist', aria_labelledby=f'{self.component_id}-label' if self.label else None)}>"  # noqa: E501
            f"{tabs}</span></span>"
        )
