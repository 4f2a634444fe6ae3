"""PyWry deploy-mode server: FastAPI app, WebSocket bridge and uvicorn runner."""

from __future__ import annotations

from pywry_server.app import create_app
from pywry_server.runner import run

__all__ = ["create_app", "run"]
