"""The rules of uploads that need no state: refusals as JSON, media types, ``accept``."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec

from fastapi.responses import JSONResponse
from pywry.toolbar.files import FileInput

__all__ = ["Refused", "accepts", "answers", "media_type_of"]

_OCTET = "application/octet-stream"
P = ParamSpec("P")


class Refused(Exception):
    """An upload request refused: the status and the JSON `{error, detail}` it answers."""

    def __init__(self, status: int, error: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra

    def response(self) -> JSONResponse:
        body = {"error": self.error, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


def answers(
    route: Callable[Concatenate[Any, P], Awaitable[JSONResponse]],
) -> Callable[Concatenate[Any, P], Awaitable[JSONResponse]]:
    """A route whose refusals (:class:`Refused`) become their JSON answers."""

    async def answer(uploads: Any, /, *args: P.args, **kwargs: P.kwargs) -> JSONResponse:
        try:
            return await route(uploads, *args, **kwargs)
        except Refused as refused:
            return refused.response()

    return answer


def media_type_of(declared: str, name: str) -> str:
    text = declared.strip().lower()
    if 0 < len(text) <= 127 and text.count("/") == 1 and text.isascii() and " " not in text:
        return text
    return mimetypes.guess_type(name)[0] or _OCTET


def accepts(component: FileInput, name: str, media_type: str) -> bool:
    """The HTML ``accept`` rule, on the server: a listed extension or media type matches."""
    if not component.accept:
        return True
    lower = name.lower()
    for entry in component.accept:
        if entry.startswith("."):
            if lower.endswith(entry):
                return True
        elif entry.endswith("/*"):
            if media_type.startswith(entry[:-1]):
                return True
        elif media_type == entry:
            return True
    return False
