"""The per-viewer bound on uploads going on, held in the backend for every worker.

A viewer has ``limit`` slots. Slot ``i`` is taken by claiming the key
``upload-slot:{viewer}:{i}:{generation}`` (``EventBus.claim``: the first caller in any
process wins, for ``ttl`` seconds); the slot's current generation is chunk ``i`` of the
blob ``upslots-{viewer}`` (0 when absent). Freeing a slot stores the next generation,
so the next claim uses a fresh key; a slot never freed (a page closed mid-upload) frees
itself when its claim expires, with the upload token (``UPLOAD_TTL``).

Two workers can never hold one slot at once: each holder owns a distinct claimed key,
and a generation is only moved on by the holder of the one before it (once, guarded
by its own claim). A start that reads a generation just before it moves finds the old
key taken and tries the next slot, so a race can refuse a start early, never admit one
too many.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pywry.state.base import StateBackend

__all__ = ["Slot", "UploadSlots"]

#: ``(slot index, generation)``, carried in the upload token's claims.
Slot = tuple[int, int]
#: How much longer than a claim the generations are kept (they must outlive it).
_KEEP = 120


class UploadSlots:
    """Take and free a viewer's upload slots (one per batch going on)."""

    def __init__(self, backend: StateBackend, *, limit: int, ttl: float) -> None:
        self._backend = backend
        self.limit = limit
        self._ttl = ttl

    async def take(self, viewer_id: str) -> Slot | None:
        """A free slot of ``viewer_id``, now held; ``None`` when all ``limit`` are."""
        blobs, events = self._backend.blobs, self._backend.events
        for index in range(self.limit):
            stored = await blobs.get_chunk(_generations(viewer_id), index)
            generation = int(stored) if stored else 0
            key = f"upload-slot:{viewer_id}:{index}:{generation}"
            if await events.claim(key, ttl=self._ttl):
                # Written again so the generation outlives this claim.
                await self._store(viewer_id, index, generation)
                return index, generation
        return None

    async def free(self, viewer_id: str, slot: Slot, batch: str) -> None:
        """Free ``batch``'s slot (once: later calls, on any worker, do nothing)."""
        if not await self._backend.events.claim(f"upload:{batch}:freed", ttl=self._ttl):
            return
        index, generation = slot
        await self._store(viewer_id, index, generation + 1)

    async def _store(self, viewer_id: str, index: int, generation: int) -> None:
        await self._backend.blobs.put_chunk(
            _generations(viewer_id), index, str(generation).encode(), ttl=self._ttl + _KEEP
        )


def _generations(viewer_id: str) -> str:
    return f"upslots-{viewer_id}"
