"""``/docs``: the OpenAPI schema's routes as one HTML page, made here, with no script.

Every byte of the page comes from this server: no CDN, no font, no image, nothing a
browser would fetch from another host (an air-gapped deploy shows it as it is). Its
one ``<style>`` is allowed by its SHA-256 in the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape
from typing import Any

__all__ = ["docs_page", "docs_policy"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;"
    "padding:0 1rem;color:#1b1f24}"
    "section{border:1px solid #d0d7de;border-radius:6px;margin:0 0 1rem;padding:.6rem 1rem}"
    "h2{font-size:1rem;margin:.2rem 0}code{font:13px ui-monospace,monospace}"
    ".m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}"
    "table{border-collapse:collapse;margin:.3rem 0}"
    "td,th{border-top:1px solid #eaeef2;padding:.15rem .8rem .15rem 0;text-align:left;"
    "vertical-align:top}"
)


def _style_source() -> str:
    digest = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def docs_policy(frame_ancestors: Sequence[str]) -> str:
    """The Content-Security-Policy of ``/docs``: nothing but its own style."""
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src {_style_source()}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors " + " ".join(frame_ancestors),
        ]
    )


def _rows(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _operation(path: str, method: str, operation: dict[str, Any]) -> str:
    summary = escape(str(operation.get("summary") or operation.get("description") or ""))
    parameters = [
        (
            f"<code>{escape(str(p.get('name', '')))}</code>",
            escape(str(p.get("in", ""))),
            "required" if p.get("required") else "",
            escape(str(p.get("description", ""))),
        )
        for p in operation.get("parameters", [])
        if isinstance(p, dict)
    ]
    body = operation.get("requestBody")
    if isinstance(body, dict):
        kinds = ", ".join(escape(str(kind)) for kind in body.get("content", {}))
        parameters.append(("body", kinds, "required" if body.get("required") else "", ""))
    answers = [
        (f"<code>{escape(str(code))}</code>", escape(str(answer.get("description", ""))))
        for code, answer in operation.get("responses", {}).items()
        if isinstance(answer, dict)
    ]
    return (
        f'<section><h2><span class="m">{escape(method)}</span><code>{escape(path)}</code></h2>'
        f"<p>{summary}</p>"
        f"{_rows(('parameter', 'in', '', ''), parameters)}"
        f"{_rows(('answer', ''), answers)}</section>"
    )


def docs_page(schema: dict[str, Any], openapi_url: str) -> str:
    """The page: each route of ``schema`` with its parameters and answers."""
    info = schema.get("info", {})
    title = escape(f"{info.get('title', 'API')} {info.get('version', '')}".strip())
    sections = [
        _operation(path, method, operation)
        for path, item in sorted(schema.get("paths", {}).items())
        for method, operation in item.items()
        if method in _METHODS and isinstance(operation, dict)
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1><p>{len(sections)} operations; the schema itself: "
        f'<a href="{escape(openapi_url)}">{escape(openapi_url)}</a></p>'
        + "".join(sections)
        + "</body></html>"
    )
