"""Parsing and checks of single setting values (lists, frame ancestors, PEM files)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["frame_ancestor_sources", "holds_private_key", "split_list"]


def split_list(value: Any) -> Any:
    """Accept a JSON list or a comma-separated string for list settings."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a valid JSON list: {exc.msg}") from exc
    return [part.strip() for part in text.split(",") if part.strip()]


_KEYWORD_SOURCES = {"none": "'none'", "self": "'self'"}
_ORIGIN_SOURCE = re.compile(r"^https?://(\*\.)?[a-z0-9.\-]+(:\d{1,5})?$")


def frame_ancestor_sources(values: list[str]) -> list[str]:
    """CSP ``frame-ancestors`` sources: ``'none'`` alone, or ``'self'`` and origins.

    Keywords may be given with or without quotes (``self`` or ``'self'``); origins are
    ``http(s)://host[:port]`` (``https://*.example.com`` allowed), lower-cased.
    """
    out: list[str] = []
    for raw in values:
        text = str(raw).strip().lower().rstrip("/")
        keyword = _KEYWORD_SOURCES.get(text.strip("'"))
        if keyword is None and not _ORIGIN_SOURCE.match(text):
            raise ValueError(
                f"{raw!r} is not a frame ancestor; expected 'none', 'self' or an origin "
                "such as https://portal.example.com"
            )
        source = keyword or text
        if source not in out:
            out.append(source)
    if not out:
        raise ValueError("must list at least one source; use 'none' to forbid framing")
    if "'none'" in out and len(out) > 1:
        raise ValueError("'none' cannot be combined with other sources")
    return out


def holds_private_key(path: str) -> bool:
    """Whether a PEM file has a private key block (a combined certificate and key)."""
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # unreadable: left to the TLS set-up (and pywry doctor), which names why
    return re.search(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----", text) is not None
