"""Helpers for the tests that run the backend in child processes (``child.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHILD_TIMEOUT", "child_env", "finish_child", "run_child", "start_child"]

CHILD_TIMEOUT = 120


CHILD = Path(__file__).resolve().parent / "child.py"


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A child process's environment: no PyWry settings or key from this one, a private
    HOME and data directory (so no real keyring is touched), the failing keyring
    backend unless ``extra`` chooses another, and ``extra``."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PYWRY_") and not name.startswith("PYTHON_KEYRING")
    }
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    env.update(extra)
    return env


def start_child(db: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start ``child.py DB ARGS...``; read its output with :func:`finish_child`."""
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_child(proc: subprocess.Popen[str]) -> tuple[Any, str]:
    """Wait for the child; ``(result, stderr)``; fails the test if the child failed."""
    out, err = proc.communicate(timeout=CHILD_TIMEOUT)
    if proc.returncode != 0:
        pytest.fail(f"child process failed ({proc.returncode}):\n{err}")
    return json.loads(out.strip().splitlines()[-1]), err


def run_child(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``child.py DB ARGS...`` to the end, whatever its exit status."""
    return subprocess.run(
        [sys.executable, str(CHILD), str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
