"""Conformance of :attr:`Capability.FILES`: ``backend.blobs`` (chunks with a TTL, the key)."""

from __future__ import annotations

import asyncio
import os

import pytest

from pywry.errors import BackendError
from pywry.state.base import Capability, StateBackend
from pywry.state.blobs import MAX_CHUNK_BYTES
from pywry.testing._fixtures import MakeBackend
from pywry.testing._support import LONG_TTL, SHORT_TTL, eventually, is_none, requires, uid

__all__ = ["BlobStoreTests"]


class BlobStoreTests:
    """``backend.blobs``: put, get, delete, expiry, binary fidelity, one signing key."""

    @pytest.mark.asyncio
    async def test_blob_round_trip(self, backend: StateBackend) -> None:
        requires(backend, Capability.FILES)
        blob = uid("blob")
        chunks = [os.urandom(1000), b"", bytes(range(256)) * 4, os.urandom(MAX_CHUNK_BYTES)]
        for index, data in enumerate(chunks):
            await backend.blobs.put_chunk(blob, index, data, ttl=LONG_TTL)
        for index, data in enumerate(chunks):
            assert await backend.blobs.get_chunk(blob, index) == data
        assert await backend.blobs.get_chunk(blob, len(chunks)) is None
        assert await backend.blobs.get_chunk(uid("blob"), 0) is None

    @pytest.mark.asyncio
    async def test_blob_put_replaces_and_delete_removes(self, backend: StateBackend) -> None:
        requires(backend, Capability.FILES)
        blob, other = uid("blob"), uid("blob")
        await backend.blobs.put_chunk(blob, 0, b"first", ttl=LONG_TTL)
        await backend.blobs.put_chunk(blob, 0, b"second", ttl=LONG_TTL)
        await backend.blobs.put_chunk(blob, 1, b"third", ttl=LONG_TTL)
        await backend.blobs.put_chunk(other, 0, b"kept", ttl=LONG_TTL)
        assert await backend.blobs.get_chunk(blob, 0) == b"second"
        await backend.blobs.delete(blob, chunks=3)  # more than exist: fine
        assert await backend.blobs.get_chunk(blob, 0) is None
        assert await backend.blobs.get_chunk(blob, 1) is None
        assert await backend.blobs.get_chunk(other, 0) == b"kept"

    @pytest.mark.asyncio
    async def test_blob_chunks_expire(self, backend: StateBackend) -> None:
        requires(backend, Capability.FILES)
        blob = uid("blob")
        await backend.blobs.put_chunk(blob, 0, b"short", ttl=SHORT_TTL)
        await backend.blobs.put_chunk(blob, 1, b"long", ttl=LONG_TTL)
        await eventually(lambda: is_none(backend.blobs.get_chunk(blob, 0)), "the chunk to expire")
        assert await backend.blobs.get_chunk(blob, 1) == b"long"

    @pytest.mark.asyncio
    async def test_blob_rejects_bad_input(self, backend: StateBackend) -> None:
        requires(backend, Capability.FILES)
        blob = uid("blob")
        with pytest.raises(ValueError, match="blob_id"):
            await backend.blobs.put_chunk("", 0, b"x", ttl=LONG_TTL)
        with pytest.raises(ValueError, match="index"):
            await backend.blobs.put_chunk(blob, -1, b"x", ttl=LONG_TTL)
        with pytest.raises(ValueError, match="ttl"):
            await backend.blobs.put_chunk(blob, 0, b"x", ttl=0)
        with pytest.raises(ValueError, match="at most"):
            await backend.blobs.put_chunk(blob, 0, bytes(MAX_CHUNK_BYTES + 1), ttl=LONG_TTL)
        with pytest.raises(TypeError, match="bytes"):
            await backend.blobs.put_chunk(blob, 0, "text", ttl=LONG_TTL)  # type: ignore[arg-type]
        assert await backend.blobs.get_chunk(blob, 0) is None

    @pytest.mark.asyncio
    async def test_signing_key_is_stable(self, backend: StateBackend) -> None:
        requires(backend, Capability.FILES)
        first = await backend.blobs.signing_key()
        assert isinstance(first, bytes) and len(first) >= 16
        assert await backend.blobs.signing_key() == first

    @pytest.mark.asyncio
    async def test_blobs_shared_and_one_key_for_all(
        self, backend: StateBackend, make_backend: MakeBackend
    ) -> None:
        requires(backend, Capability.FILES)
        requires(backend, Capability.SHARED)
        others = [await make_backend() for _ in range(3)]
        keys = await asyncio.gather(*(b.blobs.signing_key() for b in [backend, *others]))
        assert len(set(keys)) == 1, "every instance must read the same signing key"
        blob = uid("blob")
        await backend.blobs.put_chunk(blob, 0, b"\x00\xff written here", ttl=LONG_TTL)
        assert await others[0].blobs.get_chunk(blob, 0) == b"\x00\xff written here"

    @pytest.mark.asyncio
    async def test_without_files_blobs_refuse(self, backend: StateBackend) -> None:
        if Capability.FILES in type(backend).capabilities:
            pytest.skip("the backend declares Capability.FILES")
        with pytest.raises(BackendError, match="does not store files"):
            await backend.blobs.put_chunk(uid("blob"), 0, b"x", ttl=LONG_TTL)
