"""The blob store: files in chunks with a TTL, and the deployment's signing key.

A backend that declares :attr:`~pywry.state.base.Capability.FILES` offers it as
``backend.blobs``. Downloads (``widget.download``) write a file here chunk by chunk on
the worker that runs the callback; any worker streams it back, one chunk at a time, so
no worker holds a whole file. Chunks are addressed by ``(blob_id, index)``; each
expires ``ttl`` seconds after it was written. The signing key is created once per
deployment (the first worker to ask creates it, the others read the same one) and is
never expired: it lives as long as the store's data.

A backend without the capability keeps the default :data:`NO_BLOBS`, whose methods
raise :class:`~pywry.errors.BackendError` saying so.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod

from pywry.errors import BackendError
from pywry.state._checks import check_id, check_ttl

__all__ = ["MAX_CHUNK_BYTES", "NO_BLOBS", "BlobStore", "UnsupportedBlobs"]

#: The largest chunk a backend must accept, in bytes.
MAX_CHUNK_BYTES = 1024 * 1024
#: Length of the signing key, in bytes.
_KEY_BYTES = 32


def _check_index(index: int) -> None:
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError(f"chunk index must be an int >= 0, got {index!r}")


class BlobStore(ABC):
    """Chunks of files with a TTL, and one signing key for the deployment."""

    async def put_chunk(self, blob_id: str, index: int, data: bytes, *, ttl: float) -> None:
        """Store chunk ``index`` of ``blob_id`` (replacing it) for ``ttl`` seconds."""
        check_id("blob_id", blob_id)
        _check_index(index)
        check_ttl(ttl)
        if not isinstance(data, bytes):
            raise TypeError(f"a chunk must be bytes, got {type(data).__name__}")
        if len(data) > MAX_CHUNK_BYTES:
            raise ValueError(f"a chunk may hold at most {MAX_CHUNK_BYTES} bytes, got {len(data)}")
        await self._put(blob_id, index, data, ttl)

    async def get_chunk(self, blob_id: str, index: int) -> bytes | None:
        """The chunk, or ``None`` if it was never stored, was deleted or expired."""
        check_id("blob_id", blob_id)
        _check_index(index)
        return await self._get(blob_id, index)

    async def delete(self, blob_id: str, *, chunks: int) -> None:
        """Delete chunks ``0 .. chunks - 1`` of ``blob_id`` (missing ones are skipped)."""
        check_id("blob_id", blob_id)
        if chunks > 0:
            await self._delete(blob_id, chunks)

    async def signing_key(self) -> bytes:
        """The deployment's signing key: created by the first caller, the same for all."""
        key = await self._key(secrets.token_bytes(_KEY_BYTES))
        if len(key) < 16:
            raise BackendError(f"the stored signing key is too short ({len(key)} bytes)")
        return key

    @abstractmethod
    async def _put(self, blob_id: str, index: int, data: bytes, ttl: float) -> None: ...

    @abstractmethod
    async def _get(self, blob_id: str, index: int) -> bytes | None: ...

    @abstractmethod
    async def _delete(self, blob_id: str, chunks: int) -> None: ...

    @abstractmethod
    async def _key(self, candidate: bytes) -> bytes:
        """Store ``candidate`` unless a key exists; return the stored one (atomically)."""


class UnsupportedBlobs(BlobStore):
    """The ``blobs`` of a backend without :attr:`Capability.FILES`: every call fails."""

    def _refuse(self) -> BackendError:
        return BackendError(
            "This state backend does not store files (it does not declare "
            "Capability.FILES); use a backend that does (memory, sqlite, redis) "
            "or send small files as pywry:download with content"
        )

    async def _put(self, blob_id: str, index: int, data: bytes, ttl: float) -> None:
        raise self._refuse()

    async def _get(self, blob_id: str, index: int) -> bytes | None:
        raise self._refuse()

    async def _delete(self, blob_id: str, chunks: int) -> None:
        raise self._refuse()

    async def _key(self, candidate: bytes) -> bytes:
        raise self._refuse()


#: The default ``blobs`` of :class:`~pywry.state.base.StateBackend`.
NO_BLOBS: BlobStore = UnsupportedBlobs()
