"""Settings of downloads, folded into ``[deploy]`` by :mod:`pywry.config`.

``PYWRY_DEPLOY__DOWNLOAD_MAX_BYTES`` and ``PYWRY_DEPLOY__DOWNLOAD_TTL`` keep their
section's prefix, sources and errors (see ``docs/files.md``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FileSettings"]


class FileSettings(BaseModel):
    """Fields of ``[deploy]``: how large a download may be and how long its URL lives."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    download_max_bytes: int = Field(1024**3, ge=0, le=1024**4)
    """Largest file widget.download() accepts, in bytes (default 1 GiB)."""
    download_ttl: int = Field(300, ge=1, le=7 * 86400)
    """Seconds a download URL (and the stored file) lives."""
