"""The ``pywry.servers`` entry point ``default``: what ``pywry.inline`` calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pywry._startup import startup_line
from pywry.errors import BackendUnavailableError
from pywry.registry import ServerPlugin

from pywry_server.app import create_app
from pywry_server.runner import WorkersFailed, run

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pywry.config import PyWrySettings
    from pywry.runtime import Runtime
    from pywry.state.base import StateBackend

__all__ = ["DefaultServer"]


class DefaultServer:
    """FastAPI + uvicorn."""

    @staticmethod
    def create_app(
        *, settings: PyWrySettings, backend_cls: type[StateBackend], runtime: Runtime
    ) -> FastAPI:
        return create_app(settings=settings, backend_cls=backend_cls, runtime=runtime)

    @staticmethod
    def run(app: FastAPI | str, *, settings: PyWrySettings) -> None:
        """Serve ``app``; a start-up failure exits (status 1) with one line, no traceback."""
        try:
            run(app, settings=settings)
        except (WorkersFailed, BackendUnavailableError) as exc:
            raise SystemExit(startup_line(exc)) from None


#: What the entry point holds, checked by the type checker against what core calls.
_PLUGIN: ServerPlugin = DefaultServer
