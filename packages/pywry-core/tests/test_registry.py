from __future__ import annotations

import pytest
from pywry.errors import BackendNotFoundError
from pywry.registry import available_state_backends, load_state_backend, register_state_backend
from pywry.state.memory import MemoryBackend


def test_memory_is_found_through_its_entry_point() -> None:
    assert "memory" in available_state_backends()
    assert load_state_backend("memory") is MemoryBackend
    assert load_state_backend(" Memory ") is MemoryBackend


def test_unknown_backend_lists_installed_and_suggests_closest() -> None:
    with pytest.raises(BackendNotFoundError) as info:
        load_state_backend("memroy")
    message = str(info.value)
    assert "PYWRY_DEPLOY__STATE_BACKEND='memroy'" in message
    assert "Did you mean 'memory'?" in message
    assert "Installed backends:" in message and "memory" in message


def test_register_refuses_silent_replacement() -> None:
    with pytest.raises(ValueError, match="exists already"):
        register_state_backend("memory", MemoryBackend)
    register_state_backend("memory-copy", MemoryBackend)
    assert load_state_backend("memory-copy") is MemoryBackend
    register_state_backend("memory-copy", MemoryBackend, replace=True)
