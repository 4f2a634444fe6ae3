"""The directory all workers of one server keep their metric values in.

prometheus-client's multiprocess mode: each process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (read when prometheus-client is imported, so it is set
before any worker starts) and a scrape merges every file. The runner makes a fresh
directory per server (:func:`shared_metrics_dir`) and removes it when the server stops.
Counters of a worker that exited stay (totals never go down); the live values of
gauges (open sockets) of a process that is gone are dropped at the next scrape
(:func:`sweep_dead_workers`), or when a worker stops (:func:`forget_worker`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["MULTIPROC_ENV", "forget_worker", "shared_metrics_dir", "sweep_dead_workers"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Files of gauges whose value is only meaningful while their process lives.
_LIVE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


@contextlib.contextmanager
def shared_metrics_dir(enabled: bool) -> Iterator[Path | None]:
    """A new directory in ``PROMETHEUS_MULTIPROC_DIR`` while workers run (if ``enabled``).

    A directory the operator named already in that variable is used as it is (and kept).
    """
    if not enabled or os.environ.get(MULTIPROC_ENV):
        yield None
        return
    path = Path(tempfile.mkdtemp(prefix="pywry-metrics-"))
    os.environ[MULTIPROC_ENV] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: a killed worker its supervisor has not reaped yet (a zombie,
    which ``kill(pid, 0)`` still reaches) is dead too."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux), or it went meanwhile
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"  # the state follows the name


def sweep_dead_workers(path: str) -> None:
    """Drop the live gauge values of processes that no longer run (``mark_process_dead``)."""
    from prometheus_client import multiprocess

    pids = {int(m.group(1)) for name in os.listdir(path) if (m := _LIVE_FILE.match(name))}
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


def forget_worker() -> None:
    """A worker that stops drops its live gauge values (its counters stay)."""
    path = os.environ.get(MULTIPROC_ENV)
    if path:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]
