"""Reading the files a ``FileInput`` uploaded, inside the callback of its event.

The callback's ``data["files"]`` lists ``{name, size, type, id}`` for each file; every
piece of every file has arrived and been checked before the callback runs. ``id`` is
signed for the viewer that uploaded it: only a callback answering that viewer reads it::

    def on_upload(data, event_type, label):
        for entry in data["files"]:
            with pywry.uploads.open(entry["id"]) as stream:  # a binary file object
                frame = pandas.read_csv(stream)


    async def on_upload_async(data, event_type, label):
        upload = await pywry.uploads.get_async(data["files"][0]["id"])
        async for piece in upload.pieces_async():  # 1 MiB at a time
            digest.update(piece)

The pieces live in the state backend's blob store (any worker reads them) until
``PYWRY_DEPLOY__UPLOAD_TTL`` after the upload began; see ``docs/files.md``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from pywry._file_sink import FileSink, UploadInfo
from pywry.context import current_context
from pywry.errors import UploadError
from pywry.runtime import current_runtime

if TYPE_CHECKING:
    from pywry.context import Viewer
    from pywry.runtime import Runtime

__all__ = ["UploadInfo", "UploadedFile", "get", "get_async", "open"]

#: How long reading one piece may take before the sync reader gives up.
_READ_TIMEOUT = 60.0


def _where(runtime: Runtime) -> tuple[FileSink, Viewer]:
    ctx = current_context()
    if ctx is None:
        raise UploadError(
            "uploaded files are read inside the callback of the FileInput's event "
            "(they belong to the viewer that uploaded them)"
        )
    sink = runtime.sink
    if sink is None:
        raise UploadError("reading an uploaded file needs a running server")
    return sink.files, ctx.viewer


class UploadedFile:
    """A complete uploaded file: ``name``, ``size``, ``type``, ``id``, and its bytes."""

    def __init__(self, runtime: Runtime, files: FileSink, info: UploadInfo) -> None:
        self._runtime = runtime
        self._files = files
        self.info = info
        self.id, self.name, self.size, self.type = info.id, info.name, info.size, info.type

    def __repr__(self) -> str:
        return f"<UploadedFile {self.name!r} {self.size} bytes {self.type}>"

    def pieces(self) -> Iterator[bytes]:
        """The file's pieces in order (a sync callback's thread; blocks per piece)."""
        for index in range(self.info.pieces):
            job = functools.partial(self._files.upload_piece, self.info, index)
            yield self._runtime.run_blocking(job, _READ_TIMEOUT)

    async def pieces_async(self) -> AsyncIterator[bytes]:
        """The file's pieces in order (an async callback)."""
        for index in range(self.info.pieces):
            yield await self._files.upload_piece(self.info, index)

    def read(self) -> bytes:
        """The whole file (mind its size: prefer :meth:`open` or :meth:`pieces`)."""
        return b"".join(self.pieces())

    async def read_async(self) -> bytes:
        """The whole file, in an async callback."""
        return b"".join([piece async for piece in self.pieces_async()])

    def open(self) -> io.BufferedReader:
        """A read-only binary file object over the pieces (a sync callback's thread)."""
        return io.BufferedReader(_PieceReader(self.pieces()), buffer_size=256 * 1024)


class _PieceReader(io.RawIOBase):
    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._left = piece
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        return count


def get(file_id: str, *, runtime: Runtime | None = None) -> UploadedFile:
    """The uploaded file ``file_id`` (from ``data["files"]``), in a sync callback."""
    runtime = runtime or current_runtime()
    files, viewer = _where(runtime)
    info = runtime.run_blocking(lambda: files.open_upload(file_id, viewer), _READ_TIMEOUT)
    return UploadedFile(runtime, files, info)


async def get_async(file_id: str, *, runtime: Runtime | None = None) -> UploadedFile:
    """The uploaded file ``file_id``, in an async callback."""
    runtime = runtime or current_runtime()
    files, viewer = _where(runtime)
    return UploadedFile(runtime, files, await files.open_upload(file_id, viewer))


def open(file_id: str) -> io.BufferedReader:
    """A binary file object reading the uploaded file ``file_id`` (a sync callback)."""
    return get(file_id).open()
