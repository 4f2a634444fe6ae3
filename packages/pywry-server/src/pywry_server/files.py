"""Downloads over HTTP: files stored in chunks, offered by signed, short-lived URLs.

``widget.download()`` (core, :mod:`pywry.downloads`) writes a file's chunks through
:meth:`Downloads.put_chunk` into the backend's blob store, then :meth:`Downloads.offer`
signs a token and sends the viewer ``pywry:download {url, filename, size, mimeType}``.
``GET /pywry/files/{token}`` lands on any worker: the token's HMAC (the deployment's
key, kept in the backend so every worker has it) and expiry are checked, the request's
session must be the one the file was made for, and the chunks stream back one at a
time. See ``docs/files.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pywry.errors import UploadError
from pywry.state.base import Capability

from pywry_server.auth import current_session
from pywry_server.viewers import anonymous_session

if TYPE_CHECKING:
    from pywry._file_sink import UploadInfo
    from pywry.config import PyWrySettings
    from pywry.context import Viewer
    from pywry.state.base import StateBackend

__all__ = ["FILES_PATH", "Downloads", "UploadReader", "content_disposition"]


class UploadReader(Protocol):
    """What the callbacks' side reads uploads through (``pywry_server.uploads.Uploads``;
    named by its shape, so the two modules do not import each other)."""

    async def open_upload(self, file_id: str, viewer: Viewer) -> UploadInfo: ...

    async def upload_piece(self, info: UploadInfo, index: int) -> bytes: ...


logger = logging.getLogger("pywry.server.files")

#: Where download URLs point (``{FILES_PATH}/{token}``).
FILES_PATH = "/pywry/files"
#: Extra seconds chunks outlive their URL, so a download started just before the URL
#: expires can finish, and a slow producer's first chunks are still there at the offer.
_CHUNK_GRACE = 120
Emit = Callable[[str, str, str, Any], Awaitable[None]]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 one."""
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    fallback = fallback.replace('"', "_").replace("\\", "_") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _error(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": detail},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


class Downloads:
    """This worker's side of downloads: store chunks, sign offers, serve the GETs."""

    def __init__(self, settings: PyWrySettings, backend: StateBackend, emit: Emit) -> None:
        self.max_bytes = settings.deploy.download_max_bytes
        self._ttl = settings.deploy.download_ttl
        self._auth = settings.deploy.auth_enabled
        self._backend = backend
        self._emit = emit
        self._key: bytes | None = None
        #: Uploads (set by ``Worker.compose``): the callbacks' side reads through here.
        self.uploads: UploadReader | None = None

    def _uploads(self) -> UploadReader:
        if self.uploads is None:
            raise UploadError("this server does not take uploads")
        return self.uploads

    async def open_upload(self, file_id: str, viewer: Viewer) -> UploadInfo:
        return await self._uploads().open_upload(file_id, viewer)

    async def upload_piece(self, info: UploadInfo, index: int) -> bytes:
        return await self._uploads().upload_piece(info, index)

    async def put_chunk(self, blob_id: str, index: int, data: bytes) -> None:
        await self._backend.blobs.put_chunk(blob_id, index, data, ttl=self._ttl + _CHUNK_GRACE)

    async def discard(self, blob_id: str, chunks: int) -> None:
        try:
            await self._backend.blobs.delete(blob_id, chunks=chunks)
        except Exception:  # they expire anyway
            logger.warning("Deleting the chunks of abandoned download %s failed", blob_id)

    async def offer(
        self,
        viewer: Viewer,
        label: str,
        blob_id: str,
        *,
        size: int,
        chunks: int,
        filename: str,
        media_type: str,
    ) -> None:
        claims = {
            "b": blob_id,
            "n": size,
            "c": chunks,
            "f": filename,
            "t": media_type,
            "s": viewer.session_id,
            "e": int(time.time()) + self._ttl,
        }
        url = f"{FILES_PATH}/{await self.sign(claims)}"
        data = {"url": url, "filename": filename, "size": size, "mimeType": media_type}
        await self._emit(viewer.viewer_id, label, "pywry:download", data)

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = await self._backend.blobs.signing_key()
        return self._key

    async def sign(self, claims: dict[str, Any]) -> str:
        """The token for ``claims``: their JSON in base64url, a dot, its HMAC-SHA256."""
        body = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
        mac = hmac.new(await self._signing_key(), body.encode("ascii"), hashlib.sha256)
        return f"{body}.{_b64(mac.digest())}"

    async def verify(self, token: str) -> dict[str, Any] | None:
        body, dot, signature = token.partition(".")
        if not dot or not body or not signature:
            return None
        mac = hmac.new(await self._signing_key(), body.encode("ascii"), hashlib.sha256)
        try:
            given = _unb64(signature)
            if not hmac.compare_digest(mac.digest(), given):
                return None
            claims = json.loads(_unb64(body))
        except (ValueError, UnicodeError):
            return None
        return claims if isinstance(claims, dict) else None

    async def session_of(self, request: Request) -> str:
        if self._auth:
            session = await current_session(request)
            return "" if session is None else session.session_id
        return anonymous_session(request.headers.get("cookie"))

    async def response(self, token: str, request: Request) -> Response:
        """The file ``token`` names, streamed; 403 / 410 with a JSON error otherwise."""
        if Capability.FILES not in self._backend.capabilities:
            return _error(404, "download_not_found", "this deployment does not store files")
        if not token.isascii():
            return _error(403, "download_forbidden", "the download link is not valid")
        claims = await self.verify(token)
        if claims is None or "k" in claims:  # an upload's token or file id is no download
            return _error(403, "download_forbidden", "the download link is not valid")
        if float(claims["e"]) < time.time():
            return _error(410, "download_expired", "the download link has expired; ask again")
        bound = str(claims["s"])
        if not hmac.compare_digest(bound.encode(), (await self.session_of(request)).encode()):
            return _error(403, "download_forbidden", "this download belongs to another session")
        blob_id, chunks, size = str(claims["b"]), int(claims["c"]), int(claims["n"])
        blobs = self._backend.blobs
        first = await blobs.get_chunk(blob_id, 0) if chunks else b""
        if first is None:
            return _error(410, "download_expired", "the file is no longer stored; ask again")

        async def body() -> AsyncIterator[bytes]:
            if first:
                yield first
            for index in range(1, chunks):
                chunk = await blobs.get_chunk(blob_id, index)
                if chunk is None:  # expired mid-way: cut the response (Content-Length)
                    logger.warning("Download %s lost chunk %d while streaming", blob_id, index)
                    raise ConnectionAbortedError(f"chunk {index} of {blob_id} is gone")
                yield chunk

        headers = {
            "Content-Length": str(size),
            "Content-Disposition": content_disposition(str(claims["f"])),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        return StreamingResponse(body(), media_type=str(claims["t"]), headers=headers)
