"""The upload routes (``uploads.py``), described for the OpenAPI schema (``openapi.py``).

Every refusal is JSON ``{error, detail}`` (``413``/``415`` at the start also carry
``rejected``); the statuses are the ones ``docs/protocol.md`` lists for uploads.
"""

from __future__ import annotations

from typing import Any

from pywry.state.blobs import MAX_CHUNK_BYTES
from pywry.toolbar.files import MAX_FILES

from pywry_server._schema_parts import TEXT, error, json_body, path_param

__all__ = ["upload_paths"]

_INT = {"type": "integer"}
_COUNT = {"type": "integer", "minimum": 0}
_FILE = {
    "type": "object",
    "properties": {"name": TEXT, "size": _COUNT, "type": TEXT},
    "required": ["name", "size"],
}
_START = {
    "type": "object",
    "properties": {
        "viewer": {**TEXT, "description": "The page's viewer id (from welcome)"},
        "componentId": {**TEXT, "description": "The FileInput's component id"},
        "files": {"type": "array", "items": _FILE, "minItems": 1, "maxItems": MAX_FILES},
    },
    "required": ["viewer", "componentId", "files"],
}
_PLANNED = {
    "type": "object",
    "properties": {
        "token": TEXT,
        "pieceBytes": {"type": "integer", "const": MAX_CHUNK_BYTES},
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": _COUNT,
                    "name": TEXT,
                    "size": _COUNT,
                    "type": TEXT,
                    "pieces": _COUNT,
                },
                "required": ["index", "name", "size", "type", "pieces"],
            },
        },
        "rejected": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["token", "pieceBytes", "files", "rejected"],
}
_STORED = {
    "type": "object",
    "properties": {"file": _COUNT, "piece": _COUNT, "received": _COUNT},
    "required": ["file", "piece", "received"],
}
_HANDED = {
    "type": "object",
    "properties": {
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": TEXT, "size": _COUNT, "type": TEXT, "id": TEXT},
                "required": ["name", "size", "type", "id"],
            },
        }
    },
    "required": ["files"],
}


def _operation(
    method: str, operation_id: str, summary: str, **parts: Any
) -> dict[str, dict[str, Any]]:
    return {method: {"operationId": operation_id, "summary": summary, "tags": ["PyWry"], **parts}}


def upload_paths(prefix: str, guarded: dict[str, Any]) -> dict[str, Any]:
    """The three upload routes; ``guarded`` is the ``401``/``403`` of widget routes."""
    label = path_param("label", "The widget's label")
    token = path_param("token", "The upload token (the start's answer)")
    upload = f"{prefix}/{{label}}/upload"
    not_found = error("No such widget or FileInput, or a backend without files")
    forbidden = error("Another session's viewer or upload, a changed token, another widget")
    expired = error("The upload token expired (PYWRY_DEPLOY__UPLOAD_TTL)")
    busy = error("The owner of a run-time widget is gone, the worker is busy, or the backend")
    return {
        upload: _operation(
            "post",
            "pywry_upload_start",
            "Start an upload of a FileInput's files: checks them, answers a token",
            parameters=[label],
            requestBody={"required": True, "content": {"application/json": {"schema": _START}}},
            responses={
                "201": json_body("The token and the accepted files' pieces", _PLANNED),
                "400": error("Not JSON, not {viewer, componentId, files}, or a bad file entry"),
                **guarded,
                "403": forbidden,
                "404": not_found,
                "413": error("Every file is over the size limit (with rejected)"),
                "415": error("Every file is of a type not accepted (with rejected)"),
                "429": error("The viewer has PYWRY_DEPLOY__UPLOAD_MAX_ACTIVE uploads going on"),
                "503": busy,
            },
        ),
        f"{upload}/{{token}}/{{file}}/{{piece}}": _operation(
            "put",
            "pywry_upload_piece",
            f"One piece of one file: exactly {MAX_CHUNK_BYTES} bytes, or the file's rest",
            parameters=[
                label,
                token,
                path_param("file", "The file's index in the start's files", _INT),
                path_param("piece", "The piece's index (0 first; in order, once)", _INT),
            ],
            requestBody={
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            responses={
                "200": json_body("The piece is stored", _STORED),
                "400": error("No such file or piece, or a piece shorter than it must be"),
                **guarded,
                "403": forbidden,
                "404": not_found,
                "409": error("The piece before is missing, or this piece was sent already"),
                "410": expired,
                "413": error("A piece longer than it must be"),
                "503": busy,
            },
        ),
        f"{upload}/{{token}}/done": _operation(
            "post",
            "pywry_upload_done",
            "Every piece arrived: the FileInput's event runs once for the viewer",
            parameters=[label, token],
            responses={
                "202": json_body("Handed to the widget's callbacks", _HANDED),
                "400": error("A file is incomplete (upload_truncated)"),
                **guarded,
                "403": forbidden,
                "404": not_found,
                "409": error("This upload was handed over already"),
                "410": expired,
                "503": busy,
            },
        ),
    }
