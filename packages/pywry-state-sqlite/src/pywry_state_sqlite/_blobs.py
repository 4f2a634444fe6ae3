"""Downloads' chunks as rows of ``blobs``; the signing key in ``deployment_keys``."""

from __future__ import annotations

from pywry.state.blobs import BlobStore

from pywry_state_sqlite._db import Database, Tx

__all__ = ["SQLiteBlobs"]

_SIGNING_KEY = "download-signing"


class SQLiteBlobs(BlobStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _put(self, blob_id: str, index: int, data: bytes, ttl: float) -> None:
        await self._db.write("blob_put", id=blob_id, idx=index, data=data, ttl=ttl)

    async def _get(self, blob_id: str, index: int) -> bytes | None:
        row = await self._db.one("blob_get", id=blob_id, idx=index)
        return None if row is None else bytes(row[0])

    async def _delete(self, blob_id: str, chunks: int) -> None:
        await self._db.write("blob_delete", id=blob_id, chunks=chunks)

    async def _key(self, candidate: bytes) -> bytes:
        def offer(tx: Tx) -> bytes:
            tx.write("key_offer", key_name=_SIGNING_KEY, value=candidate)
            row = tx.one("key_get", key_name=_SIGNING_KEY)
            assert row is not None
            return bytes(row[0])

        return await self._db.call(offer, transaction=True)
