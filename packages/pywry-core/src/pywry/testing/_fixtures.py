"""The fixtures every conformance mixin builds on.

Resolution order: ``backend_env`` (the subclass provides it) → ``backend_settings``
(env applied with ``monkeypatch``, then :func:`pywry.config.load_settings`) →
``backend_factory`` (the class found through :func:`pywry.registry.load_state_backend`,
built with ``from_settings``) → ``backend`` / ``make_backend``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from pywry.config import PyWrySettings, load_settings
from pywry.registry import load_state_backend
from pywry.state.base import StateBackend

__all__ = ["BackendFactory", "BackendFixtures", "MakeBackend", "RunInSubprocess"]

#: Builds one unstarted backend.
BackendFactory = Callable[[], StateBackend]
#: Builds and starts one more backend from the same settings (closed at teardown).
MakeBackend = Callable[[], Awaitable[StateBackend]]
#: Runs operations against a fresh backend in a child interpreter; returns their results.
RunInSubprocess = Callable[[list[dict[str, Any]]], Awaitable[list[Any]]]

_CHILD = "from pywry.testing._child import main; main()"
_CHILD_TIMEOUT = 120.0
_SETTING_VARS = ("PYWRY_DEPLOY__", "PYWRY_SERVER__", "PYWRY_CONFIG_FILE")


class BackendFixtures:
    """Fixtures only; the mixins add the tests."""

    @pytest.fixture
    def backend_settings(
        self,
        backend_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> PyWrySettings:
        """Settings read from ``backend_env`` alone: other PyWry variables and config files
        are hidden (the working directory is an empty temporary one)."""
        for name in list(os.environ):
            if name.upper().startswith(_SETTING_VARS):
                monkeypatch.delenv(name)
        home = tmp_path_factory.mktemp("pywry-conformance")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
        monkeypatch.chdir(home)
        for name, value in backend_env.items():
            monkeypatch.setenv(name, value)
        return load_settings()

    @pytest.fixture
    def backend_factory(self, backend_settings: PyWrySettings) -> BackendFactory:
        """Override to build a backend that has no entry point (cross-process tests
        still need ``backend_env``, because the child process selects by name)."""
        cls = load_state_backend(backend_settings.deploy.state_backend)

        def build() -> StateBackend:
            return cls.from_settings(backend_settings)

        return build

    @pytest_asyncio.fixture
    async def backend(self, backend_factory: BackendFactory) -> AsyncIterator[StateBackend]:
        """A started backend, closed after the test."""
        async with backend_factory() as started:
            yield started

    @pytest_asyncio.fixture
    async def make_backend(self, backend_factory: BackendFactory) -> AsyncIterator[MakeBackend]:
        """``await make_backend()``: another started instance from the same settings."""
        opened: list[StateBackend] = []

        async def make() -> StateBackend:
            instance = backend_factory()
            opened.append(instance)
            await instance.start()
            return instance

        yield make
        for instance in reversed(opened):
            await instance.aclose()

    @pytest.fixture
    def run_in_subprocess(self, backend_settings: PyWrySettings) -> RunInSubprocess:
        """``await run_in_subprocess([{"op": "claim", ...}])`` in ``sys.executable``.

        The child sees the same environment (so the same backend, selected by its
        entry-point name) and runs :mod:`pywry.testing._child`.
        """
        expected = backend_settings.deploy.state_backend

        async def run(ops: list[dict[str, Any]]) -> list[Any]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _CHILD,
                json.dumps(ops),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=dict(os.environ),
                cwd=str(Path.cwd()),
            )
            try:
                out, err = await asyncio.wait_for(proc.communicate(), _CHILD_TIMEOUT)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                pytest.fail(f"the child process did not finish within {_CHILD_TIMEOUT:.0f}s")
            if proc.returncode != 0:
                pytest.fail(f"the child process failed ({proc.returncode}):\n{err.decode()}")
            report: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
            assert report["backend"] == expected, "the child process built another backend"
            results: list[Any] = report["results"]
            return results

        return run
