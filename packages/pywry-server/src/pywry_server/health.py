"""``/healthz`` (the process answers) and ``/readyz`` (this worker can serve).

``/readyz`` is 200 only when this worker has joined the state backend and the backend
accepts a write now (:meth:`StateBackend.check_writable`: a full disk, a read-only
SQLite file or Redis out of memory make it 503 until they pass, with no restart).

``/readyz`` tells anyone only ``{"status": "ready"}`` (200) or
``{"status": "unavailable"}`` (503): the worker id, host, pid, Redis host or SQLite
path of :meth:`StateBackend.describe` are for operators. A request with
``Authorization: Bearer <PYWRY_SERVER__READYZ_TOKEN>`` gets them (and the reason
when the backend is down); a missing or wrong token gets the short answer, with no
hint that a token exists.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pywry.errors import BackendError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from pywry_server.worker import Worker

__all__ = ["add_health_routes", "has_operator_token"]


def has_operator_token(request: Request, token: SecretStr | None) -> bool:
    """Whether ``request`` carries ``Authorization: Bearer <token>`` (constant-time)."""
    if token is None:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return secrets.compare_digest(given.strip().encode(), token.get_secret_value().encode())


def add_health_routes(app: FastAPI, token: SecretStr | None) -> None:
    """Add ``GET /healthz`` and ``GET /readyz`` to ``app``."""

    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def readyz(request: Request) -> JSONResponse:
        details = has_operator_token(request, token)
        headers = {"Cache-Control": "no-store"}
        worker: Worker | None = getattr(request.app.state, "pywry", None)
        if worker is None or not worker.joined:
            body: dict[str, Any] = {"status": "unavailable"}
            if details:
                body["detail"] = "starting" if worker is None else f"joining: {worker.waiting}"
                if worker is not None:
                    body["worker"] = worker.worker_id
            return JSONResponse(body, status_code=503, headers=headers)
        try:
            await worker.backend.ping()
            await worker.backend.check_writable()  # a store that answers but refuses writes
        except BackendError as exc:
            body = {"status": "unavailable"}
            if details:
                body.update(worker=worker.worker_id, detail=str(exc))
            return JSONResponse(body, status_code=503, headers=headers)
        body = {"status": "ready"}
        if details:
            body.update(worker=worker.worker_id, **worker.backend.describe())
        return JSONResponse(body, headers=headers)

    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/readyz", readyz, methods=["GET"])
