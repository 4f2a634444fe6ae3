"""Top-level test configuration: backend choice, servers and the browser."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

from browser import FLAGS, chromium_path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--state-backend",
        default="memory",
        help="entry-point name of the state backend the server tests run on",
    )


@pytest.fixture(scope="session")
def state_backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--state-backend"))


@pytest.fixture
def backend_env(state_backend: str, tmp_path: Path) -> dict[str, str]:
    """Environment selecting the backend under test for a server subprocess."""
    env = {"PYWRY_DEPLOY__STATE_BACKEND": state_backend}
    if state_backend == "sqlite":
        env["PYWRY_DEPLOY__SQLITE_PATH"] = str(tmp_path / "state" / "pywry.db")
        env["PYWRY_SQLITE_KEY"] = "test-key-not-secret"
    if state_backend == "redis":
        import uuid

        from pywry_state_redis.testing import redis_server_url

        env["PYWRY_DEPLOY__REDIS_URL"] = redis_server_url()
        env["PYWRY_DEPLOY__REDIS_PREFIX"] = f"pywry-test-{uuid.uuid4().hex[:8]}"
    return env


# Module scope, not session: while Playwright's sync API is active it owns a running
# event loop in this thread, which would break the asyncio tests collected after it.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), args=FLAGS, headless=True)
        yield instance
        instance.close()
