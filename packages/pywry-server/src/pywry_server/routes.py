"""Route classes for PyWry's own routes: each turns other paths away by a plain string test.

The router tries routes in order, and PyWry's come before the app's own (they are added
when the app is made), so every request for an app route (the Quick Start's ``/``)
would first be matched against each of PyWry's patterns. These classes look for the
literal start of their path (``/widget/``, ``/pywry/assets/``) in the request's path
before trying the pattern: a path without it cannot match. (It is looked for anywhere
in the path, so a ``root_path`` in front changes nothing.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

__all__ = ["PlainRoute", "PrefixedRoute"]


def _literal(path: str) -> str:
    return path.split("{", 1)[0]


class PrefixedRoute(APIRoute):
    """A FastAPI route (parameters, dependencies) with the quick turn-away above."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self._start = _literal(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._start not in scope.get("path", ""):
            return Match.NONE, {}
        return super().matches(scope)


class PlainRoute(Route):
    """A plain Starlette route (no parameter machinery: the widget page), with the quick
    turn-away, that names itself in the scope as FastAPI's routes do (metrics label it)."""

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], *, methods: list[str]
    ) -> None:
        super().__init__(path, endpoint, methods=methods, include_in_schema=False)
        self._start = _literal(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._start not in scope.get("path", ""):
            return Match.NONE, {}
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child
