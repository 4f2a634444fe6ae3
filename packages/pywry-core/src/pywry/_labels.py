"""Deterministic widget labels.

A label passed by the user wins. Otherwise a widget created before the server starts
(at import time of the app module) gets a label derived from its call site (file
name and line) and title, so every worker that imports the module derives the same
label. Widgets created while serving get a random suffix: they are owned by the
worker that made them.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
from pathlib import Path

from pywry.errors import WidgetError

__all__ = ["LABEL_PATTERN", "derive_label", "validate_label"]

LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
#: Frames in files under this directory are PyWry's own (the separator keeps a sibling
#: such as ``pywry_app/`` out).
_PYWRY_ROOT = str(Path(__file__).resolve().parent) + os.sep


def validate_label(label: str) -> str:
    """Return ``label`` if it is URL-safe, else raise :class:`WidgetError`."""
    if not isinstance(label, str) or not LABEL_PATTERN.match(label):
        raise WidgetError(
            f"Invalid widget label {label!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return label


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].strip("-")


def _call_site() -> str:
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PYWRY_ROOT):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "unknown"
    return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"


def derive_label(kind: str, title: str, *, unique: bool = False) -> str:
    """A label for a widget shown without one (see the module docstring)."""
    key = f"{_call_site()}|{kind}|{title}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    label = f"{_slug(title) or kind}-{digest}"
    if unique:
        label = f"{label}-{secrets.token_hex(4)}"
    return label
