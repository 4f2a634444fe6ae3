"""The distribution: its wheel ships the SQL files and registers the entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from pywry.registry import available_state_backends, load_state_backend
from pywry_state_sqlite import SQLiteBackend

PACKAGE = Path(__file__).resolve().parents[1]


def test_entry_point_names_the_backend() -> None:
    assert "sqlite" in available_state_backends()
    assert load_state_backend("sqlite") is SQLiteBackend


def test_wheel_contains_the_sql_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=PACKAGE,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("pywry_state_sqlite-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert (
            "sqlite = pywry_state_sqlite.backend:SQLiteBackend"
            in archive.read(entry_points).decode()
        )
    assert "pywry_state_sqlite/sql/queries.sql" in names
    assert "pywry_state_sqlite/sql/migrations/0001_initial.sql" in names
