"""Helpers for the operations tests: the counted app and its body log."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APPS = Path(__file__).resolve().parent / "apps"
COUNTED_APP = APPS / "counted_app.py"
OPS_APP = APPS / "ops_app.py"
ROOT = Path(__file__).resolve().parents[2]
PYWRY = [sys.executable, "-m", "pywry_server"]


def body_runs(log: Path) -> list[tuple[int, str]]:
    """``(pid, __name__)`` of every run of the counted app's module body."""
    if not log.exists():
        return []
    rows = [line.split() for line in log.read_text(encoding="utf-8").splitlines() if line]
    return [(int(pid), name) for pid, name in rows]


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    return int(stat.rpartition(")")[2].split()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any PYWRY_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PYWRY_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}
