"""``{prefix}/{label}/data``: a widget's data document (figure or grid rows).

The page asks for ``?v=<digest>``. When the digest matches the current data the
response is cached for good (the URL changes with the data); otherwise it must be
revalidated. Either way the ETag is the digest, so a revalidation costs a 304.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pywry.errors import WidgetNotFoundError
from pywry.widgets.data import widget_data

from pywry_server._caching import cached_response

if TYPE_CHECKING:
    from pywry.runtime import Runtime

__all__ = ["serve_widget_data"]

IMMUTABLE = "private, max-age=31536000, immutable"


async def serve_widget_data(runtime: Runtime, label: str, request: Request) -> Response:
    """The JSON data document of ``label``; 404 ``no_data`` for an HTML widget.

    An unknown label raises ``WidgetNotFoundError`` (the app answers 404).
    """
    try:
        encoded = await widget_data(runtime, label)
    except WidgetNotFoundError:
        raise  # the app's handler answers 404 widget_not_found
    except LookupError as exc:
        return JSONResponse({"error": "no_data", "detail": str(exc)}, status_code=404)
    return await cached_response(
        request,
        encoded.body,
        digest=encoded.digest,
        cache_control=IMMUTABLE if request.query_params.get("v") == encoded.digest else "no-cache",
        media_type="application/json",
        gzipped=lambda: encoded.gzipped,
    )
