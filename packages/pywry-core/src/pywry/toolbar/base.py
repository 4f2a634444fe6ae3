"""What every toolbar item shares: a stable id, escaped HTML, and (for controls) an event.

Two bases:

- :class:`Element`: anything a toolbar can hold (``Div``, ``Marquee``, controls).
- :class:`Component`: an element the user acts on; it emits ``event`` to Python
  with a data dict that always carries ``componentId``. Each subclass documents its
  data in its ``payload`` class attribute (listed in ``docs/toolbar.md``).
"""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

from pywry.events import RESERVED_NAMESPACES, check_user_event

__all__ = [
    "RESERVED_NAMESPACES",
    "Component",
    "Element",
    "attrs",
    "check_user_event",
    "number_text",
    "stable_id",
]


def attrs(**values: Any) -> str:
    """Render HTML attributes, escaped; ``None``/``False`` are left out, ``True`` is bare.

    ``data_x`` becomes ``data-x``; a trailing ``_`` is dropped (``class_``, ``for_``);
    non-string values are written as JSON.
    """
    parts: list[str] = []
    for key, value in values.items():
        name = key.rstrip("_").replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(name)
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        parts.append(f'{name}="{html.escape(text, quote=True)}"')
    return " ".join(parts)


def number_text(value: float | None) -> str | None:
    """A number as an HTML attribute value: ``3`` rather than ``3.0``; ``None`` stays."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def stable_id(kind: str, *parts: str) -> str:
    """An id derived from its parts, identical in every worker process."""
    digest = hashlib.sha256("|".join((kind, *parts)).encode()).hexdigest()
    return f"{kind}-{digest[:10]}"


class Element(BaseModel):
    """Something a toolbar holds. Its DOM id is ``component_id``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    kind: ClassVar[str] = "element"
    #: The data sent with the element's event (documentation; ``""`` when it sends none).
    payload: ClassVar[str] = ""

    label: str = ""
    #: The DOM id; by default derived from the element's kind, event and label, so it is
    #: the same in every worker process (give one explicitly when two would collide).
    component_id: str = ""
    disabled: bool = False
    #: Tooltip text.
    description: str = ""

    @field_validator("component_id")
    @classmethod
    def _component_id(cls, value: str) -> str:
        if value and not (len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)):
            raise ValueError("must be 1-64 letters, digits, '-' or '_'")
        return value

    def model_post_init(self, context: Any) -> None:
        if not self.component_id:
            self.component_id = stable_id(self.kind, *self.id_parts())

    def id_parts(self) -> tuple[str, ...]:
        """What the default ``component_id`` is derived from."""
        return (self.label,)

    def common_attrs(self) -> str:
        """Attributes every element's main node carries (id, kind, title, disabled)."""
        return attrs(
            id=self.component_id,
            data_kind=self.kind,
            title=self.description or None,
            disabled=self.disabled,
        )

    def label_html(self) -> str:
        """A ``<label>`` bound to the control, or nothing when there is no label."""
        if not self.label:
            return ""
        return (
            f'<label class="pywry-label" id="{html.escape(self.component_id)}-label" '
            f'for="{html.escape(self.component_id)}">{html.escape(self.label)}</label>'
        )

    def group_label_html(self) -> str:
        """A label for a group of controls (referenced by ``aria-labelledby``)."""
        if not self.label:
            return ""
        return (
            f'<span class="pywry-label" id="{html.escape(self.component_id)}-label">'
            f"{html.escape(self.label)}</span>"
        )

    def group_attrs(self) -> str:
        """``role="group"`` plus the label reference, for multi-control components."""
        return attrs(
            role="group",
            aria_labelledby=f"{self.component_id}-label" if self.label else None,
        )

    def render(self) -> str:
        """The element's HTML."""
        raise NotImplementedError(f"{type(self).__name__} must implement render()")


class Component(Element):
    """A control: user actions emit ``event`` with a dict carrying ``componentId``."""

    kind: ClassVar[str] = "component"

    event: str

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        return check_user_event(value)

    def id_parts(self) -> tuple[str, ...]:
        return (self.event, self.label)

    def common_attrs(self) -> str:
        return f"{super().common_attrs()} {attrs(data_event=self.event)}"
