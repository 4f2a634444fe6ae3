"""Serving browser assets with content hashes, long-lived caching and gzip."""

from __future__ import annotations

import gzip
from functools import cache

from fastapi import Request, Response
from pywry.assets import Asset, resolve_asset_name
from pywry.errors import OptionalDependencyError

__all__ = ["serve_asset"]

IMMUTABLE = "public, max-age=31536000, immutable"
_GZIP_MIN = 1024


@cache
def _gzipped(asset: Asset) -> bytes:
    return gzip.compress(asset.content, compresslevel=6, mtime=0)


async def serve_asset(filename: str, request: Request) -> Response:
    """``/pywry/assets/{filename}``: 404 for unknown names, 304 when the ETag matches."""
    resolved = resolve_asset_name(filename)
    if resolved is None:
        return Response(status_code=404, content=f"Unknown asset {filename!r}")
    asset, hashed = resolved
    try:
        body = asset.content
    except (OptionalDependencyError, OSError) as exc:
        return Response(status_code=404, content=str(exc))
    etag = f'"{asset.digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": IMMUTABLE if hashed else "no-cache",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if len(body) >= _GZIP_MIN and "gzip" in request.headers.get("accept-encoding", ""):
        body = _gzipped(asset)
        headers["Content-Encoding"] = "gzip"
    return Response(content=body, media_type=asset.media_type, headers=headers)
