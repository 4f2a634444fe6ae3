"""Several workers, each accepting on a listening socket of its own (Linux ``SO_REUSEPORT``).

uvicorn's supervisor binds one socket and every worker accepts on it; which worker
takes a new connection is whichever the kernel wakes first, so some workers get
most connections and a replacement may get few. Here the supervisor still binds
host:port (so the port is taken, or a second server on it fails, once) but never
listens on it; each worker binds a socket of its own to that address with
``SO_REUSEPORT`` and listens on it once its app has started. The kernel then hashes
every new connection to one of the listening sockets, evenly, and a replacement's
socket joins as soon as it listens.

The supervisor's socket reaches a worker the way uvicorn hands over any socket, by
pickling for ``spawn``; :class:`WorkerListener` pickles to "bind a socket of your
own to my address" (:func:`bind_in_worker`) instead of to a copy of itself.

A worker also ends with its supervisor: if the supervisor dies without stopping its
workers (SIGKILL, the OOM killer), the kernel sends each worker SIGTERM
(``PR_SET_PDEATHSIG``), so none goes on serving the port, unsupervised, for good.

What this costs: the connections waiting in a worker's accept queue when it exits
(killed, recycled, stopped) are reset instead of being taken by another worker,
unless the kernel migrates them (``net.ipv4.tcp_migrate_req=1``, Linux 5.14+); and
with no worker up, a connection is refused instead of waiting in the queue.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from typing import Any, SupportsIndex

import uvicorn
from pywry._startup import STARTUP_FAILURE, report_startup_failure
from uvicorn.supervisors import Multiprocess

__all__ = ["WorkerListener", "bind_in_worker", "end_with", "run_workers", "supported"]


def supported() -> bool:
    """Whether connections can be spread by the kernel here (Linux: ``SO_REUSEPORT``
    balances; other systems either lack it or give a port's connections to one socket)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class WorkerListener(socket.socket):
    """The supervisor's bound, never listening socket on the server's address.

    Handed to a worker, it becomes that worker's own socket on the same address.
    """

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return bind_in_worker, (int(self.family), self.getsockname(), os.getpid())


def bind_in_worker(family: int, address: Any, supervisor: int | None = None) -> socket.socket:
    """A socket of this worker's own bound to ``address`` with ``SO_REUSEPORT``.

    Run in the worker as it starts (``supervisor``: the pid of the process that started
    it), which from here on gets SIGTERM when that process dies.

    uvicorn listens on it once the app has started. If it cannot be bound, the worker
    exits with uvicorn's start-up failure status (the supervisor then stops) and the
    reason goes where PyWry's workers report theirs.
    """
    if supervisor is not None and supervisor != os.getpid():  # (not unpickled where made)
        end_with(supervisor)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        report_startup_failure(f"PyWry cannot start: a worker cannot listen on {address!r}: {exc}")
        raise SystemExit(STARTUP_FAILURE) from None
    return sock


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def end_with(supervisor: int) -> None:
    """Have the kernel send this process SIGTERM when its parent, ``supervisor``, dies;
    exit now if it is already gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")
    if os.getppid() != supervisor:  # it died before the line above
        raise SystemExit(f"PyWry worker {os.getpid()}: its supervisor {supervisor} is gone")


def run_workers(target: str, **options: Any) -> None:
    """``uvicorn.run(target, workers=N, ...)``, each worker on a socket of its own.

    Takes ``uvicorn.run``'s keywords; uvicorn's own supervisor (``Multiprocess``)
    starts, checks and replaces the workers as with ``uvicorn.run``.
    """
    app_dir = options.pop("app_dir", None)
    if app_dir is not None:
        sys.path.insert(0, app_dir)  # as uvicorn.run: spawned workers inherit sys.path
    config = uvicorn.Config(target, **options)
    bound = config.bind_socket()  # "Uvicorn running on ...", or exits if the port is taken
    listener = WorkerListener(bound.family, bound.type, bound.proto, fileno=bound.detach())
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
