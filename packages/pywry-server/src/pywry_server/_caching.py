"""Responses with a content-digest ETag, a caching policy and gzip when it pays."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import Request, Response

__all__ = ["cached_response"]

_GZIP_MIN = 1024


async def cached_response(
    request: Request,
    body: bytes,
    *,
    digest: str,
    cache_control: str,
    media_type: str,
    gzipped: Callable[[], bytes],
) -> Response:
    """``body`` with ETag ``digest`` (304 when the browser has it), gzipped off the loop."""
    etag = f'"{digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if len(body) >= _GZIP_MIN and "gzip" in request.headers.get("accept-encoding", ""):
        body = await asyncio.to_thread(gzipped)
        headers["Content-Encoding"] = "gzip"
    return Response(content=body, media_type=media_type, headers=headers)
