"""Widget data served apart from the page: a chart's figure, a grid's rows.

A big figure or table is not inlined into the HTML page. The page names a data URL
(``{prefix}/{label}/data?v=<digest>``) and its script fetches it once; the digest is
the SHA-256 of the encoded JSON, so the response can be cached for good and a second
page load transfers nothing but the page itself. When the data changes, the digest
changes, and so does the URL in newly rendered pages.

The widget keeps its data in ``payload`` (so the record in the state backend holds it
for every worker) and caches the encoded bytes until the data changes.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pywry import _json
from pywry.widgets.widget import Widget

if TYPE_CHECKING:
    from pywry.runtime import Runtime
    from pywry.state.records import WidgetRecord

__all__ = [
    "DATA_KEYS",
    "DIGEST_KEY",
    "INLINE_LIMIT",
    "DataWidget",
    "EncodedData",
    "encode_data",
    "widget_data",
]

#: Which payload keys make up the data document of each widget kind.
DATA_KEYS: dict[str, tuple[str, ...]] = {
    "plotly": ("figure", "config", "templates"),
    "dataframe": ("table", "options"),
}
#: The payload key holding the digest of the current data document.
DIGEST_KEY = "dataDigest"
#: Data documents up to this size travel inside an update event; bigger ones are fetched.
INLINE_LIMIT = 256 * 1024
_GZIP_LEVEL = 5


@dataclass(frozen=True)
class EncodedData:
    """A data document encoded once: JSON bytes, their digest, gzip on demand."""

    body: bytes
    digest: str

    @cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.body, compresslevel=_GZIP_LEVEL, mtime=0)


def encode_data(kind: str, payload: dict[str, Any]) -> EncodedData:
    """Encode the data document of a ``kind`` widget from its ``payload``."""
    document = {key: payload.get(key) for key in DATA_KEYS.get(kind, ())}
    body = _json.dumps(document).encode()
    return EncodedData(body, hashlib.sha256(body).hexdigest()[:16])


class DataWidget(Widget):
    """A widget whose data is served from its data URL rather than inlined.

    Subclasses change ``payload`` and then call :meth:`_changed`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoded: EncodedData | None = None
        self._encode_lock = threading.Lock()

    def encoded_data(self) -> EncodedData:
        """The current data document, encoded (cached until the data changes)."""
        with self._encode_lock:
            if self._encoded is None:
                self._encoded = encode_data(self.kind, self.payload)
            return self._encoded

    def _changed(self) -> None:
        """Drop the cached encoding and store the new record for every worker."""
        with self._encode_lock:
            self._encoded = None
        self._save()

    def _update_event(self, **inline: Any) -> dict[str, Any]:
        """``{"digest": ...}`` of the current data, plus ``inline`` when it is small.

        A browser given no inline data fetches the document by its digest.
        """
        encoded = self.encoded_data()
        event: dict[str, Any] = {"digest": encoded.digest}
        if len(encoded.body) <= INLINE_LIMIT:
            event.update(inline)
        return event

    def to_record(self) -> WidgetRecord:
        self.payload[DIGEST_KEY] = self.encoded_data().digest
        return super().to_record()


async def widget_data(runtime: Runtime, label: str) -> EncodedData:
    """The encoded data document of widget ``label``, local or from the shared state.

    Raises :class:`~pywry.errors.WidgetNotFoundError` for unknown labels, and
    ``LookupError`` for a widget that has no data document (an HTML widget).
    """
    widget = runtime.get(label)
    if isinstance(widget, DataWidget):
        return await asyncio.to_thread(widget.encoded_data)
    record = await runtime.find_record(label)
    if record.kind not in DATA_KEYS:
        raise LookupError(f"Widget {label!r} ({record.kind}) has no data document")
    return await asyncio.to_thread(encode_data, record.kind, record.payload)
