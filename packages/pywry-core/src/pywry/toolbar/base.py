"""What every toolbar component shares: an id, an event, and escaped HTML."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["RESERVED_NAMESPACES", "Component", "attrs", "check_user_event"]

#: Namespaces PyWry itself emits on; user components may not use them.
RESERVED_NAMESPACES = frozenset({"pywry", "plotly", "grid", "toolbar"})


def check_user_event(event: str) -> str:
    """``event`` if it is a valid ``namespace:name`` outside the reserved namespaces."""
    from pywry.widgets.widget import validate_event_name

    validate_event_name(event)
    namespace = event.split(":", 1)[0]
    if namespace in RESERVED_NAMESPACES:
        raise ValueError(
            f"event {event!r} uses the reserved namespace {namespace!r}; "
            f"choose your own, for example 'app:{event.split(':', 1)[1]}'"
        )
    return event


def attrs(**values: Any) -> str:
    """Render HTML attributes, escaped; ``None``/``False`` are left out, ``True`` is bare."""
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


class Component(BaseModel):
    """A toolbar item. ``event`` is emitted to Python with a ``componentId`` in the data."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    kind: ClassVar[str] = "component"

    event: str
    label: str = ""
    #: The DOM id; by default derived from kind, event and label, so it is the same in
    #: every worker process (give one explicitly when two components would collide).
    component_id: str = ""
    disabled: bool = False
    description: str = ""

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        return check_user_event(value)

    @field_validator("component_id")
    @classmethod
    def _component_id(cls, value: str) -> str:
        if value and not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError("must be letters, digits, '-' or '_'")
        return value

    def model_post_init(self, context: Any) -> None:
        if not self.component_id:
            digest = hashlib.sha256(f"{self.kind}|{self.event}|{self.label}".encode()).hexdigest()
            self.component_id = f"{self.kind}-{digest[:10]}"

    def common_attrs(self) -> str:
        """Attributes every component's control carries (id, event, kind, title)."""
        return attrs(
            id=self.component_id,
            data_event=self.event,
            data_kind=self.kind,
            title=self.description or None,
            disabled=self.disabled,
        )

    def label_html(self) -> str:
        """A ``<label>`` bound to the control, or nothing when there is no label."""
        if not self.label:
            return ""
        return (
            f'<label class="pywry-label" for="{html.escape(self.component_id)}">'
            f"{html.escape(self.label)}</label>"
        )

    def render(self) -> str:
        """The component's HTML."""
        raise NotImplementedError(f"{type(self).__name__} must implement render()")
