from __future__ import annotations

import os

import pytest
from pywry.state import StateBackendKind, get_state_backend, get_worker_id, is_deploy_mode


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in list(os.environ):
        if name.startswith("PYWRY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),
        ({"PYWRY_DEPLOY_MODE": "1"}, True),
        ({"PYWRY_DEPLOY_MODE": "true"}, True),
        ({"PYWRY_DEPLOY_MODE": "0"}, False),
        ({"PYWRY_DEPLOY__ENABLED": "true"}, True),
        ({"PYWRY_DEPLOY__STATE_BACKEND": "redis"}, True),
        ({"PYWRY_DEPLOY__STATE_BACKEND": "sqlite"}, False),
        ({"PYWRY_HEADLESS": "1"}, False),
        ({"PYWRY_HEADLESS": "1", "PYWRY_DEPLOY__STATE_BACKEND": "sqlite"}, True),
        ({"PYWRY_HEADLESS": "1", "PYWRY_DEPLOY__STATE_BACKEND": "memory"}, True),
    ],
)
def test_deploy_mode_activation(monkeypatch, env: dict[str, str], expected: bool) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert is_deploy_mode() is expected


@pytest.mark.parametrize("name", ["memory", "redis", "sqlite"])
def test_state_backend_value_is_its_name(monkeypatch, name: str) -> None:
    monkeypatch.setenv("PYWRY_DEPLOY__STATE_BACKEND", name)
    assert get_state_backend().value == name
    assert get_state_backend() is StateBackendKind(name)


def test_default_backend_is_memory() -> None:
    assert get_state_backend() is StateBackendKind.MEMORY


def test_third_party_names_work_too() -> None:
    kind = StateBackendKind("Acme")
    assert kind.value == "acme"
    assert StateBackendKind("acme") is kind


def test_worker_id_is_stable_and_configurable(monkeypatch) -> None:
    assert get_worker_id() == get_worker_id()
    assert str(os.getpid()) in get_worker_id()
