from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pywry.config import load_settings
from pywry.runtime import Runtime
from pywry.state.memory import MemoryBackend
from pywry.widgets.widget import Widget
from pywry_server import create_app
from starlette.testclient import TestClient


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("PYWRY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def runtime() -> Runtime:
    return Runtime()


@pytest.fixture
def add_widget(runtime: Runtime) -> Callable[..., Widget]:
    def add(label: str = "demo", **kwargs: Any) -> Widget:
        kwargs.setdefault("title", "Demo")
        kwargs.setdefault("content", "<p id='hello'>Hello</p>")
        widget = Widget(runtime, label=label, **kwargs)
        runtime.add(widget)
        return widget

    return add


@pytest.fixture
def make_client(runtime: Runtime) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = load_settings(**overrides)
        app: FastAPI = create_app(settings=settings, backend_cls=MemoryBackend, runtime=runtime)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
