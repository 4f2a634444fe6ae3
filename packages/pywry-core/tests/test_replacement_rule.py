"""How a worker knows it replaces one of a server that has been up (docs/cli.md)."""

from __future__ import annotations

import multiprocessing

from pywry._startup import forget_server_up, mark_server_up, server_was_up


def _child(join: bool) -> bool:
    """In a spawned worker: whether it is a replacement; then, if asked, join."""
    was_up = server_was_up()
    if join:
        mark_server_up()
    return was_up


def _in_worker(join: bool) -> bool:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return bool(pool.apply(_child, (join,)))


def test_a_worker_is_a_replacement_once_a_sibling_has_joined() -> None:
    forget_server_up()  # this process is the supervisor of the workers below
    try:
        assert _in_worker(join=False) is False  # nobody joined yet: a first start
        assert _in_worker(join=True) is False  # the first to join is a first start too
        assert _in_worker(join=False) is True  # every later worker replaces one
        forget_server_up()  # the supervisor ended: the next server starts afresh
        assert _in_worker(join=False) is False
    finally:
        forget_server_up()


def test_a_process_without_a_supervisor_is_always_a_first_start() -> None:
    mark_server_up()  # no supervisor: nothing is recorded
    assert server_was_up() is False
