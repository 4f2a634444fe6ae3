"""Argument checks the public methods of every backend role share."""

from __future__ import annotations

__all__ = ["check_id", "check_ttl"]


def check_ttl(ttl: float) -> None:
    if ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")


def check_id(kind: str, value: str) -> None:
    if not value or not isinstance(value, str):
        raise ValueError(f"{kind} must be a non-empty string, got {value!r}")
