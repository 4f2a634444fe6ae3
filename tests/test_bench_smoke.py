"""The benchmark suite still runs: ``bench/run.py --smoke`` end to end.

Every measurement runs briefly against real servers (PyWry, the baselines, Redis, Dash)
and the report has a ratio on every row. Nothing here asserts speed: figures from a
smoke run mean nothing, and timed assertions on a shared machine would be flaky. The
first run installs Dash into ``bench/.venv-dash`` from PyPI; without network the Dash
rows may say "not run", and the report says why. The bench chooses its own backends,
so the test runs once, in the ``--state-backend=memory`` session.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = 10  # the targets table of issue 13 (bench/_rows.py)


@pytest.mark.redis
def test_bench_smoke_runs_every_measurement(tmp_path: Path, state_backend: str) -> None:
    if state_backend != "memory":  # the bench picks its own backends: once per CI run is enough
        pytest.skip("backend-independent; runs with --state-backend=memory")
    missing = [tool for tool in ("wrk", "redis-server") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not on PATH: apt-get install {' '.join(missing)}")
    out = tmp_path / "smoke.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    report = out.read_text(encoding="utf-8")
    table = report.split("## Targets", 1)[1].split("## Figures", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == ROWS + 1, table  # plus the header
    dash_offline = "Dash rows not run" in report
    for row in rows[1:]:
        if "not run" in row:
            assert dash_offline and ("Dash" in row or "PyWry rate /" in row), row
        else:
            assert "(smoke: not judged)" in row, row
