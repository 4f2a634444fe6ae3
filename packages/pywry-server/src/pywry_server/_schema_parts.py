"""Pieces of PyWry's OpenAPI descriptions (``openapi.py``, ``_upload_schema.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR", "TEXT", "error", "json_body", "path_param"]

ERROR = {"$ref": "#/components/schemas/PyWryError"}
TEXT = {"type": "string"}


def error(description: str) -> dict[str, Any]:
    """An answer with a JSON ``{error, detail}`` body."""
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def json_body(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A successful answer with a JSON body of ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def path_param(name: str, description: str, schema: dict[str, Any] = TEXT) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }
