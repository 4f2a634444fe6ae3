"""What a running server offers ``widget.download()`` (a leaf: runtime and downloads use it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pywry.context import Viewer

__all__ = ["FileSink"]


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
