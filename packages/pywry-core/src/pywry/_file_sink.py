"""What a running server offers downloads and uploads (a leaf under runtime and both)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pywry.context import Viewer

__all__ = ["FileSink", "UploadInfo"]


@dataclass(frozen=True)
class UploadInfo:
    """One complete uploaded file, as its signed id describes it."""

    id: str
    blob_id: str
    name: str
    size: int
    type: str
    pieces: int


class FileSink(Protocol):
    """What a running server offers downloads (implemented by ``pywry_server``)."""

    #: Largest file accepted, in bytes (``PYWRY_DEPLOY__DOWNLOAD_MAX_BYTES``).
    max_bytes: int

    async def put_chunk(self, blob_id: str, index: int, data: bytes) -> None:
        """Store one chunk of a file being prepared."""

    async def discard(self, blob_id: str, chunks: int) -> None:
        """Delete the chunks of a file that will not be offered."""

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
        """Send ``viewer`` the ``pywry:download`` event with the file's signed URL."""

    async def open_upload(self, file_id: str, viewer: Viewer) -> UploadInfo:
        """The uploaded file ``file_id`` if it was uploaded by ``viewer`` (else ``UploadError``)."""

    async def upload_piece(self, info: UploadInfo, index: int) -> bytes:
        """Piece ``index`` of an uploaded file (``UploadError`` when it is gone)."""
