"""Serving browser assets with content hashes, long-lived caching and gzip."""

from __future__ import annotations

import gzip
from functools import cache

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pywry._clip import clip
from pywry.assets import Asset, resolve_asset_name
from pywry.errors import OptionalDependencyError

from pywry_server._caching import cached_response

__all__ = ["serve_asset"]

IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def _gzipped(asset: Asset) -> bytes:
    return gzip.compress(asset.content, compresslevel=6, mtime=0)


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse({"error": "asset_not_found", "detail": detail}, status_code=404)


async def serve_asset(filename: str, request: Request) -> Response:
    """``/pywry/assets/{filename}``: 404 for unknown names, 304 when the ETag matches."""
    resolved = resolve_asset_name(filename)
    if resolved is None:
        return _not_found(f"Unknown asset {clip(filename)!r}")
    asset, hashed = resolved
    try:
        body = asset.content
    except (OptionalDependencyError, OSError) as exc:
        return _not_found(str(exc))
    return await cached_response(
        request,
        body,
        digest=asset.digest,
        cache_control=IMMUTABLE if hashed else "no-cache",
        media_type=asset.media_type,
        gzipped=lambda: _gzipped(asset),
    )
