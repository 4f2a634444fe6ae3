"""Request and session ids: random, never repeated, not shared with a forked child."""

from __future__ import annotations

import os
import re
import secrets

from pywry_server import _tokens


def test_ids_have_the_shape_of_secrets_and_never_repeat() -> None:
    made = [_tokens.token_urlsafe(24) for _ in range(5000)]
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in made)
    assert len(_tokens.token_urlsafe(24)) == len(secrets.token_urlsafe(24))
    hexes = {_tokens.token_hex(16) for _ in range(5000)}
    assert len(hexes) == 5000 and all(re.fullmatch(r"[0-9a-f]{32}", h) for h in hexes)
    assert len(_tokens.token_hex(5000)) == 10000  # more than a page at once


def test_a_forked_child_does_not_reuse_the_parents_random_bytes() -> None:
    _tokens.token_hex(8)  # a page is loaded, most of it unused
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.write(write, _tokens.token_hex(16).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 32
    assert child != _tokens.token_hex(16)
