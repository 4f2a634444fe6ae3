"""Downloads' chunks as ``{prefix}:blob:{id}:{index}`` strings with a TTL."""

from __future__ import annotations

from pywry.state.blobs import BlobStore

from pywry_state_redis._link import Role, ttl_ms

__all__ = ["RedisBlobs"]


def _as_bytes(value: bytes | str) -> bytes:
    """What the undecoded client returns (always bytes; typed as either)."""
    return value if isinstance(value, bytes) else value.encode("latin-1")


class RedisBlobs(Role, BlobStore):
    """Chunks are plain string keys (binary-safe); ``{prefix}:files:signing-key`` has
    no TTL: it belongs to the deployment (deleted with the prefix's data)."""

    async def _put(self, blob_id: str, index: int, data: bytes, ttl: float) -> None:
        await self.link.raw.set(self.link.keys.blob(blob_id, index), data, px=ttl_ms(ttl))

    async def _get(self, blob_id: str, index: int) -> bytes | None:
        data = await self.link.raw.get(self.link.keys.blob(blob_id, index))
        return None if data is None else _as_bytes(data)

    async def _delete(self, blob_id: str, chunks: int) -> None:
        keys = self.link.keys
        for start in range(0, chunks, 500):
            batch = [keys.blob(blob_id, i) for i in range(start, min(chunks, start + 500))]
            await self.link.raw.delete(*batch)

    async def _key(self, candidate: bytes) -> bytes:
        name = self.link.keys.signing_key
        await self.link.raw.set(name, candidate, nx=True)
        stored = await self.link.raw.get(name)
        return candidate if stored is None else _as_bytes(stored)
