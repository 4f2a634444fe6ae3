"""Browser assets: our JS/CSS (package data beside this file) and libraries from installed packages.

Every asset is served by our own server under ``ASSET_PREFIX`` with its content hash
in the file name, so pages can cache it forever and no page ever needs a CDN.
Contents and hashes are read once per process, on first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pywry.errors import OptionalDependencyError

__all__ = ["ASSET_PREFIX", "Asset", "get_asset", "resolve_asset_name"]

ASSET_PREFIX = "/pywry/assets"
_HERE = Path(__file__).resolve().parent
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _package_file(package: str, relative: str, feature: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise OptionalDependencyError(package, feature)
    return Path(next(iter(spec.submodule_search_locations))) / relative


@dataclass(frozen=True)
class Asset:
    """One file the browser loads: its public name, where it lives, its media type."""

    name: str
    source: str
    package: str | None = None

    @property
    def path(self) -> Path:
        if self.package is None:
            return _HERE / self.source
        return _package_file(self.package, self.source, f"The {self.name} asset")

    @cached_property
    def content(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()[:12]

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES.get(Path(self.name).suffix, "application/octet-stream")

    @property
    def filename(self) -> str:
        """``stem.<hash>.ext``: changes whenever the content changes."""
        stem, dot, ext = self.name.rpartition(".")
        return f"{stem}.{self.digest}{dot}{ext}"

    @property
    def url(self) -> str:
        return f"{ASSET_PREFIX}/{self.filename}"


_ASSETS: dict[str, Asset] = {
    asset.name: asset
    for asset in (
        Asset("pywry.css", "pywry.css"),
        Asset("bridge.js", "bridge.js"),
        Asset("toolbar.css", "toolbar.css"),
        Asset("toolbar.js", "toolbar.js"),
        Asset("progress.js", "progress.js"),
        Asset("upload.js", "upload.js"),
        Asset("plotly-widget.js", "plotly-widget.js"),
        Asset("plotly.min.js", "package_data/plotly.min.js", package="plotly"),
        Asset("theme.js", "theme.js"),
        Asset("grid.css", "grid.css"),
        Asset("grid-widget.js", "grid-widget.js"),
        Asset("tabulator.min.js", "vendor/tabulator/tabulator.min.js"),
        Asset("tabulator.min.css", "vendor/tabulator/tabulator.min.css"),
    )
}


def get_asset(name: str) -> Asset:
    """The asset called ``name`` (for example ``"bridge.js"``); ``KeyError`` if unknown."""
    return _ASSETS[name]


def resolve_asset_name(filename: str) -> tuple[Asset, bool] | None:
    """Map a requested ``stem.<hash>.ext`` (or plain name) to ``(asset, hash_matches)``."""
    for asset in _ASSETS.values():
        if filename == asset.name:
            return asset, False
        stem, _, ext = asset.name.rpartition(".")
        if filename.startswith(f"{stem}.") and filename.endswith(f".{ext}"):
            middle = filename[len(stem) + 1 : -len(ext) - 1]
            if "." not in middle:
                return asset, middle == asset.digest
    return None
