"""The attack tests' server: the Full Example shaped app under a real uvicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import ServerProcess, start_server

BOARD_APP = Path(__file__).resolve().parent / "apps" / "board_app.py"


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start the board app with extra ``PYWRY_*`` settings (stopped after the test)."""
    started: list[ServerProcess] = []

    def make(**env: str) -> ServerProcess:
        server = start_server(
            BOARD_APP,
            tmp_path,
            env={"PYWRY_SERVER__LOG_LEVEL": "info", "PYWRY_SERVER__ACCESS_LOG": "false", **env},
            ready_path="/healthz",
        )
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
