"""Lint and type checks in the test run, so CI (which runs ``scripts/test.sh``) runs them.

The same commands as ``nox -s lint typecheck``, from this interpreter's environment:
``ruff check``, ``ruff format --check`` and ``mypy`` (the root ``pyproject.toml``'s
strict configuration over every distribution), plus ``mypy --strict`` on the typed
Quick Start of ``docs/typing.md``, as a user would run it on their own app.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The checks share the root cache (gitignored), so a second run takes seconds.
CACHE = ROOT / ".mypy_cache"


def _run(*args: str, cwd: Path = ROOT) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def test_ruff_check() -> None:
    _run("ruff", "check", ".")


def test_ruff_format() -> None:
    _run("ruff", "format", "--check", ".")


def test_mypy_strict_over_every_distribution() -> None:
    _run("mypy", "--cache-dir", str(CACHE))


def _typed_quick_start() -> str:
    text = (ROOT / "docs" / "typing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/typing.md has no python block"
    return str(blocks[0])


def test_a_user_app_from_the_docs_passes_mypy_strict(tmp_path: Path) -> None:
    app = tmp_path / "my_app.py"
    app.write_text(_typed_quick_start(), encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\n")  # the user's, not this repository's
    _run(
        "mypy",
        "--strict",
        "--config-file",
        str(tmp_path / "mypy.ini"),
        "--cache-dir",
        str(CACHE / "user-app"),
        str(app),
        cwd=tmp_path,
    )
