"""Workers on sockets of their own: the supervisor's socket becomes each worker's own."""

from __future__ import annotations

import io
import pickle
import socket
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest
from pywry._startup import REPORT_ENV
from pywry_server import reuseport

pytestmark = pytest.mark.skipif(not reuseport.supported(), reason="Linux SO_REUSEPORT only")


@pytest.fixture
def held() -> Iterator[reuseport.WorkerListener]:
    """The supervisor's socket as uvicorn binds it (SO_REUSEADDR, never listening)."""
    sock = reuseport.WorkerListener(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def _handed_to_worker(sock: socket.socket) -> socket.socket:
    """What a spawned worker gets for ``sock`` (multiprocessing pickles it so)."""
    buffer = io.BytesIO()
    ForkingPickler(buffer).dump(sock)
    worker_sock = pickle.loads(buffer.getvalue())
    assert isinstance(worker_sock, socket.socket)
    return worker_sock


def test_each_worker_gets_a_socket_of_its_own_on_the_same_address(
    held: reuseport.WorkerListener,
) -> None:
    first, second = _handed_to_worker(held), _handed_to_worker(held)
    try:
        assert first.fileno() != held.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == held.getsockname()
        assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert type(first) is socket.socket  # an ordinary socket again, in the worker
        first.listen(8)
        second.listen(8)
        with socket.create_connection(held.getsockname(), timeout=5):
            pass  # taken by one of the two listening sockets, the held one never listens
    finally:
        first.close()
        second.close()


def test_a_second_server_on_the_port_still_fails(held: reuseport.WorkerListener) -> None:
    worker_sock = _handed_to_worker(held)
    worker_sock.listen(8)
    try:
        with socket.socket() as other:  # bound as uvicorn binds its supervisor's socket
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            with pytest.raises(OSError, match="in use"):
                other.bind(held.getsockname())
    finally:
        worker_sock.close()


def test_a_worker_that_cannot_bind_exits_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.txt"
    monkeypatch.setenv(REPORT_ENV, str(report))
    taken = socket.socket()  # listening without SO_REUSEPORT: nobody may join it
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(SystemExit) as exited:
            reuseport.bind_in_worker(int(socket.AF_INET), taken.getsockname())
    finally:
        taken.close()
    assert exited.value.code == 3  # uvicorn's supervisor stops instead of restarting it
    line = report.read_text(encoding="utf-8")
    assert line.startswith("PyWry cannot start: a worker cannot listen on ")
