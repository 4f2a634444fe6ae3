"""Controls the user types into: text, search, secrets, numbers and dates."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any, ClassVar

from pydantic import Field, SecretStr, model_validator

from pywry.toolbar.base import Component, attrs, number_text

__all__ = [
    "DateInput",
    "NumberInput",
    "SearchInput",
    "SecretInput",
    "TextArea",
    "TextInput",
]


class _Typed(Component):
    """Typing emits ``event`` once the user pauses for ``debounce_ms`` (and on Enter)."""

    payload: ClassVar[str] = '{"value": str, "componentId": str}'

    value: str = ""
    placeholder: str = ""
    debounce_ms: int = Field(default=300, ge=0, le=10_000)
    max_length: int | None = Field(default=None, ge=1)

    def input_attrs(self) -> str:
        return attrs(
            placeholder=self.placeholder or None,
            maxlength=str(self.max_length) if self.max_length else None,
            data_debounce=str(self.debounce_ms),
        )

    def render_input(self, type_: str, classes: str) -> str:
        """The labelled one-line ``<input>`` of a typed component."""
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<input type="{type_}" class="{classes}" {self.common_attrs()} '
            f"{self.input_attrs()} {attrs(value=self.value)}></span>"
        )


class TextInput(_Typed):
    """A one-line text box, debounced."""

    kind: ClassVar[str] = "text"

    def render(self) -> str:
        return self.render_input("text", "pywry-input")


class SearchInput(_Typed):
    """A search box, debounced; Enter sends at once, Escape clears it."""

    kind: ClassVar[str] = "search"

    def render(self) -> str:
        return self.render_input("search", "pywry-input pywry-search")


class TextArea(_Typed):
    """A multi-line text box, debounced (Enter inserts a newline)."""

    kind: ClassVar[str] = "textarea"

    rows: int = Field(default=3, ge=1, le=50)

    def render(self) -> str:
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<textarea class="pywry-input pywry-textarea" {self.common_attrs()} '
            f"{self.input_attrs()} {attrs(rows=str(self.rows))}>"
            f"{html.escape(self.value)}</textarea></span>"
        )


class SecretInput(Component):
    """A password-style box for API keys and the like.

    The value never appears in the page: it lives in the Python widget only. When
    the user submits a new value (Enter or leaving the box), the browser sends it once
    and clears the box. The reveal and copy buttons ask the widget's server-side
    handler for the value (``toolbar:secret-reveal`` / ``toolbar:secret-copy``).
    """

    kind: ClassVar[str] = "secret"
    payload: ClassVar[str] = '{"value": str, "componentId": str}'

    value: SecretStr | None = None
    placeholder: str = ""
    show_reveal: bool = True
    show_copy: bool = True

    def secret(self) -> str | None:
        """The secret (for Python only)."""
        return self.value.get_secret_value() if self.value is not None else None

    def render(self) -> str:
        has_value = bool(self.secret())
        placeholder = "••••••••" if has_value else self.placeholder
        buttons = ""
        for shown, action, text in (
            (self.show_reveal, "reveal", "Show"),
            (self.show_copy, "copy", "Copy"),
        ):
            if shown:
                name = f"{text} {self.label or 'secret'}"
                buttons += (
                    '<button type="button" class="pywry-button pywry-size-sm" '
                    f"{attrs(data_secret_action=action, data_secret_for=self.component_id)} "
                    f"{attrs(aria_label=name, disabled=self.disabled)}>"
                    f"{text}</button>"
                )
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<input type="password" class="pywry-input pywry-secret" {self.common_attrs()} '
            f"{attrs(placeholder=placeholder or None, autocomplete='off', data_placeholder=self.placeholder or None, data_has_value=str(has_value).lower())}>"  # noqa: E501
            f"{buttons}</span>"
        )


class NumberInput(Component):
    """A number box bounded by ``min``/``max`` and stepped by ``step``."""

    kind: ClassVar[str] = "number"
    payload: ClassVar[str] = '{"value": float | None, "componentId": str}'

    value: float | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _in_bounds(self) -> NumberInput:
        _check_bounds(self.min, self.max, [self.value])
        return self

    def render(self) -> str:
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<input type="number" class="pywry-input pywry-number" {self.common_attrs()} '
            f"{attrs(value=number_text(self.value), min=number_text(self.min))} "
            f"{attrs(max=number_text(self.max), step=number_text(self.step) or 'any')}></span>"
        )


class DateInput(Component):
    """A date picker; values are ISO dates (``YYYY-MM-DD``)."""

    kind: ClassVar[str] = "date"
    payload: ClassVar[str] = '{"value": "YYYY-MM-DD" | None, "componentId": str}'

    value: dt.date | None = None
    min: dt.date | None = None
    max: dt.date | None = None

    @model_validator(mode="after")
    def _in_bounds(self) -> DateInput:
        _check_bounds(self.min, self.max, [self.value])
        return self

    def render(self) -> str:
        return (
            f'<span class="pywry-field">{self.label_html()}'
            f'<input type="date" class="pywry-input pywry-date" {self.common_attrs()} '
            f"{attrs(value=_iso(self.value), min=_iso(self.min), max=_iso(self.max))}></span>"
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _check_bounds(low: Any, high: Any, values: list[Any]) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"min ({low}) is greater than max ({high})")
    for value in values:
        if value is None:
            continue
        if low is not None and value < low:
            raise ValueError(f"value {value} is below min {low}")
        if high is not None and value > high:
            raise ValueError(f"value {value} is above max {high}")
