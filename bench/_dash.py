"""Dash for the comparison rows: its own venv (``bench/.venv-dash``) and its server.

Dash is not a dependency of PyWry, so the bench installs it into a venv of its own
from PyPI the first time (``pip install "dash>=4,<5" plotly pandas gunicorn``) and
reuses it after. The server is gunicorn with one worker (the same worker count as
the PyWry server it is compared with), ``gthread`` with 8 threads so 50 keep-alive
connections are served, no access log.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _procs import Cores, Server, start_server

__all__ = ["DASH_VENV", "dash_versions", "ensure_dash_venv", "start_dash"]

HERE = Path(__file__).resolve().parent
DASH_VENV = HERE / ".venv-dash"
REQUIREMENTS = ["dash>=4,<5", "plotly", "pandas", "gunicorn"]


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_dash_venv(venv: Path = DASH_VENV) -> Path:
    """The venv's python, creating the venv and installing Dash into it if needed."""
    python = _python(venv)
    check = [str(python), "-c", "import dash, gunicorn, plotly.express, pandas"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:
        return python
    print(f"Installing Dash into {venv} (once)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *REQUIREMENTS], check=True)
    return python


def dash_versions(python: Path) -> str:
    code = (
        "from importlib.metadata import version as v;"
        "print(' / '.join(v(d) for d in ('dash', 'flask', 'plotly', 'gunicorn')))"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or done.stderr.strip()


def start_dash(python: Path, cores: Cores, workdir: Path, *, wait: bool = True) -> Server:
    command = [str(python), "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread"]
    command += ["--threads", "8", "--bind", "127.0.0.1:{port}", "--chdir", str(HERE / "apps")]
    command += ["--log-level", "warning", "dash_app:server"]
    return start_server("dash", command, cores, workdir, wait=wait)
