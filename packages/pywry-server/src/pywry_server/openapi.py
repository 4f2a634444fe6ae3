"""PyWry's own HTTP routes, described for the OpenAPI schema (``/openapi.json``).

The widget page, its data, the browser assets and the uploads are served without
FastAPI's parameter machinery (the hot path, or raw bodies), so FastAPI does not
describe them; this module does, response by response (the uploads in
``_upload_schema.py``), and :func:`pywry_schema` adds them to the app's schema (with
the user's own routes). ``tests/attacks/test_http_schema.py`` runs
schemathesis against the result: every answer must be one this schema documents.
"""

from __future__ import annotations

from typing import Any

from pywry_server._schema_parts import TEXT as _TEXT
from pywry_server._schema_parts import error as _error
from pywry_server._schema_parts import path_param as _path_param
from pywry_server._upload_schema import upload_paths

__all__ = ["pywry_schema"]


def _get(operation_id: str, summary: str, **parts: Any) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": ["PyWry"], **parts}}


def _paths(prefix: str, *, auth: bool) -> dict[str, Any]:
    label = _path_param("label", "The widget's label")
    # 401 and 403 also with auth off: a widget with roles needs a login session.
    need = "auth enabled" if auth else "the widget has roles or is private"
    guarded: dict[str, Any] = {
        "401": _error(f"No valid session ({need})"),
        "403": _error("This session may not see the widget (per-widget access)"),
    }
    unavailable = {"503": _error("The state backend is unavailable; retry")}
    ready = {"type": "object", "properties": {"status": _TEXT}, "required": ["status"]}
    return {
        **upload_paths(prefix, guarded),
        f"{prefix}/{{label}}": _get(
            "pywry_widget_page",
            "A widget's page (HTML with its toolbars and the bridge script)",
            parameters=[label],
            responses={
                "200": {"description": "The page", "content": {"text/html": {"schema": _TEXT}}},
                "404": _error("No widget with this label"),
                **guarded,
                **unavailable,
            },
        ),
        f"{prefix}/{{label}}/data": _get(
            "pywry_widget_data",
            "A data widget's rows or figure, by digest (cached for good once fetched)",
            parameters=[
                label,
                {"name": "v", "in": "query", "required": False, "schema": _TEXT},
            ],
            responses={
                "200": {"description": "The data", "content": {"application/json": {"schema": {}}}},
                "304": {"description": "Not modified (If-None-Match)"},
                "404": _error("No such widget, or a widget without data"),
                **guarded,
                **unavailable,
            },
        ),
        "/pywry/assets/{filename}": _get(
            "pywry_asset",
            "A browser asset of PyWry (scripts, styles, vendored libraries)",
            parameters=[_path_param("filename", "The asset's file name")],
            responses={
                "200": {
                    "description": "The asset (stored gzipped)",
                    "content": {
                        "application/javascript": {"schema": _TEXT},
                        "text/css": {"schema": _TEXT},
                    },
                },
                "304": {"description": "Not modified (If-None-Match)"},
                "404": _error("No such asset"),
            },
        ),
        "/healthz": _get(
            "pywry_healthz",
            "Liveness: the process answers",
            responses={
                "200": {"description": "Alive", "content": {"application/json": {"schema": ready}}}
            },
        ),
        "/readyz": _get(
            "pywry_readyz",
            "Readiness: joined and the backend takes writes (details with the operator token)",
            responses={
                "200": {"description": "Ready", "content": {"application/json": {"schema": ready}}},
                "503": {
                    "description": "Not ready (starting, joining or the backend fails)",
                    "content": {"application/json": {"schema": ready}},
                },
            },
        ),
    }


def pywry_schema(schema: dict[str, Any], prefix: str, *, auth: bool) -> dict[str, Any]:
    """``schema`` (the app's, from FastAPI) with PyWry's routes described in it."""
    out = dict(schema)
    out["paths"] = {**schema.get("paths", {}), **_paths(prefix, auth=auth)}
    components = dict(out.get("components", {}))
    components["schemas"] = {
        **components.get("schemas", {}),
        "PyWryError": {
            "type": "object",
            "properties": {"error": _TEXT, "detail": _TEXT},
            "required": ["error"],
        },
    }
    out["components"] = components
    return out
