"""``widget.download()``: a file of any size, stored in chunks, offered by a signed URL.

Inside a callback the file is read (bytes, a path, or an iterator of bytes) and cut
into :data:`CHUNK_BYTES` chunks that go to the state backend's blob store on the way;
the viewer being answered then gets ``pywry:download`` with a short-lived URL signed
for its session, which any worker serves by streaming the chunks back
(``docs/files.md``). Nothing here holds more than one chunk of the file at a time.
"""

from __future__ import annotations

import asyncio
import functools
import mimetypes
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pywry._file_sink import FileSink
from pywry.context import current_context
from pywry.errors import DownloadError

if TYPE_CHECKING:
    from pywry.runtime import Runtime

__all__ = [
    "CHUNK_BYTES",
    "DownloadSource",
    "FileSink",
    "download",
    "download_async",
    "safe_filename",
]

#: Size of the chunks a file is stored in (the last one may be shorter).
CHUNK_BYTES = 256 * 1024
#: What ``widget.download()`` reads: the bytes themselves, a file, or chunks of bytes.
DownloadSource = bytes | bytearray | memoryview | os.PathLike[str] | Iterable[bytes]
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_MAX_NAME = 200
#: How long the callback waits for one chunk to be stored before it gives up.
_PUT_TIMEOUT = 120.0


def safe_filename(name: str) -> str:
    """``name`` as a download's file name: no directories, control or reserved characters."""
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    return base[:_MAX_NAME] or "download"


def _pieces(source: DownloadSource) -> tuple[Iterator[bytes], int | None]:
    """The source as an iterator of chunks of exactly :data:`CHUNK_BYTES` (the last
    shorter) and its size when known before reading."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source).cast("B")
        return (bytes(view[i : i + CHUNK_BYTES]) for i in range(0, len(view), CHUNK_BYTES)), len(
            view
        )
    if isinstance(source, str):
        raise DownloadError(
            "widget.download() got a str: pass pathlib.Path(...) for a file, or "
            "text.encode() for content"
        )
    if isinstance(source, os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DownloadError(f"Cannot read {str(path)!r} for download: {exc}") from exc
        return _read_file(path), size
    if isinstance(source, Iterable):
        return _rechunk(iter(source)), None
    raise DownloadError(
        f"widget.download() reads bytes, a path or an iterator of bytes, "
        f"got {type(source).__name__}"
    )


def _read_file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _rechunk(parts: Iterator[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for part in parts:
        if not isinstance(part, (bytes, bytearray, memoryview)):
            raise DownloadError(
                f"the download iterator yielded {type(part).__name__}, expected bytes"
            )
        buffer += part
        while len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer[:CHUNK_BYTES])
            del buffer[:CHUNK_BYTES]
    if buffer:
        yield bytes(buffer)


def _too_large(size: int, limit: int) -> DownloadError:
    return DownloadError(
        f"The download is {size:,} bytes or more, over the limit of {limit:,} "
        "(PYWRY_DEPLOY__DOWNLOAD_MAX_BYTES); raise the setting or send a smaller file"
    )


class _Prepared:
    """One file on its way into the blob store: its id, its viewer, what was written."""

    def __init__(self, runtime: Runtime, label: str, filename: str, media: str | None) -> None:
        ctx = current_context()
        if ctx is None:
            raise DownloadError(
                "widget.download() answers the viewer of a callback: call it inside one "
                "(to reach every page, emit pywry:download with small content instead)"
            )
        sink = runtime.sink
        if sink is None:
            raise DownloadError("widget.download() needs a running server")
        self.sink = sink
        self.files: FileSink = sink.files
        self.viewer = ctx.viewer
        self.label = label
        self.filename = safe_filename(filename)
        guessed = mimetypes.guess_type(self.filename)[0]
        self.media_type = media or guessed or "application/octet-stream"
        self.blob_id = secrets.token_urlsafe(18)
        self.size = 0
        self.chunks = 0

    def check(self, size: int | None) -> None:
        if size is not None and size > self.files.max_bytes:
            raise _too_large(size, self.files.max_bytes)

    def count(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.chunks += 1
        if self.size > self.files.max_bytes:
            raise _too_large(self.size, self.files.max_bytes)

    async def offer(self) -> None:
        await self.files.offer(
            self.viewer,
            self.label,
            self.blob_id,
            size=self.size,
            chunks=self.chunks,
            filename=self.filename,
            media_type=self.media_type,
        )


def download(
    runtime: Runtime, label: str, source: DownloadSource, filename: str, media_type: str | None
) -> None:
    """Store ``source`` and offer it to the callback's viewer (a sync callback's thread)."""
    prepared = _Prepared(runtime, label, filename, media_type)
    if _on_loop(prepared.sink.loop):
        raise DownloadError(
            "widget.download() blocks until the file is stored; in an async callback "
            "use: await widget.download_async(source, filename)"
        )
    pieces, size = _pieces(source)
    prepared.check(size)
    files, blob = prepared.files, prepared.blob_id
    try:
        for chunk in pieces:
            index = prepared.chunks
            prepared.count(chunk)
            runtime.run_blocking(
                functools.partial(files.put_chunk, blob, index, chunk), _PUT_TIMEOUT
            )
        runtime.run_blocking(prepared.offer, _PUT_TIMEOUT)
    except BaseException:
        written = prepared.chunks
        runtime.schedule(lambda: files.discard(prepared.blob_id, written))
        raise


async def download_async(
    runtime: Runtime, label: str, source: DownloadSource, filename: str, media_type: str | None
) -> None:
    """:func:`download` for async callbacks: files and iterators are read off the loop."""
    prepared = _Prepared(runtime, label, filename, media_type)
    pieces, size = _pieces(source)
    prepared.check(size)
    try:
        async for chunk in _off_loop(pieces):
            index = prepared.chunks
            prepared.count(chunk)
            await prepared.files.put_chunk(prepared.blob_id, index, chunk)
        await prepared.offer()
    except BaseException:
        await asyncio.shield(prepared.files.discard(prepared.blob_id, prepared.chunks))
        raise


async def _off_loop(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    done = object()
    while True:
        chunk = await asyncio.to_thread(next, pieces, done)
        if chunk is done:
            return
        assert isinstance(chunk, bytes)
        yield chunk


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
