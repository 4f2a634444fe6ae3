"""Settings of downloads and uploads, folded into ``[deploy]`` by :mod:`pywry.config`.

``PYWRY_DEPLOY__DOWNLOAD_*`` and ``PYWRY_DEPLOY__UPLOAD_*`` keep their
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
    upload_max_bytes: int = Field(100 * 1024**2, ge=1, le=1024**4)
    """Largest file a FileInput accepts, in bytes (default 100 MiB; max_bytes may lower it)."""
    upload_ttl: int = Field(3600, ge=60, le=7 * 86400)
    """Seconds an upload may take, and how long its stored pieces live."""
    upload_max_active: int = Field(4, ge=1, le=1000)
    """Upload batches one viewer may have going at once on a worker (more get 429)."""
