"""The records a state backend stores, and their flat field encoding.

Backends store records as flat ``dict[str, str]`` field maps (a Redis hash, a SQLite
row's JSON column, a dict in memory); these classes convert both ways so every backend
stores exactly the same thing.
"""

from __future__ import annotations

import json
import time
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ConnectionRecord", "SessionRecord", "WidgetRecord"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_fields(self) -> dict[str, str]:
        """Encode as a flat map of strings (JSON for anything that is not a string)."""
        out: dict[str, str] = {}
        for key, value in self.model_dump(mode="json").items():
            plain = type(self).model_fields[key].annotation is str
            out[key] = value if plain else json.dumps(value, separators=(",", ":"))
        return out

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Self:
        """Decode what :meth:`to_fields` produced."""
        data: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if name not in fields:
                continue
            raw = fields[name]
            data[name] = raw if info.annotation is str else json.loads(raw)
        return cls.model_validate(data)


class WidgetRecord(_Record):
    """A widget as every worker sees it.

    ``owner`` is ``None`` for widgets that every worker defines itself (registered
    at import time of the app module); otherwise it is the id of the worker that
    created the widget at run time and holds its callbacks.

    ``roles``: a viewer's session needs at least one of them (empty: no role needed).
    ``private_to``: the SHA-256 (hex) of the session id that may alone see the widget,
    never the id itself (``None``: not private). See :mod:`pywry.access`.
    """

    widget_id: str
    kind: str = "html"
    title: str = ""
    content: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None
    roles: list[str] = Field(default_factory=list)
    private_to: str | None = None
    created_at: float = Field(default_factory=time.time)


class SessionRecord(_Record):
    """A user session (used when ``PYWRY_DEPLOY__AUTH_ENABLED`` is on).

    ``roles`` are what per-widget access checks (``show*(..., roles=[...])``).
    """

    session_id: str
    user: str = ""
    roles: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: float = Field(default_factory=time.time)


class ConnectionRecord(_Record):
    """A browser's WebSocket: which widget it views and which worker holds it."""

    connection_id: str
    widget_id: str
    worker_id: str
    connected_at: float = Field(default_factory=time.time)
