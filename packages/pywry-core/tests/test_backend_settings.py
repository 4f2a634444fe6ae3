"""A backend's settings_model is read from the deploy section like PyWry's own settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Self

import pytest
from pydantic import BaseModel, Field
from pywry import _plugins
from pywry.config import PyWrySettings, load_settings
from pywry.errors import ConfigurationError
from pywry.registry import register_state_backend
from pywry.state.memory import MemoryBackend


class LabSettings(BaseModel):
    lab_endpoint: str = "lab://local"
    lab_retries: int = Field(3, ge=0)


class LabBackend(MemoryBackend):
    name = "lab"
    settings_model = LabSettings

    @classmethod
    def from_settings(cls, settings: PyWrySettings) -> Self:
        backend = cls()
        backend.endpoint = settings.deploy.backend_settings(LabSettings).lab_endpoint
        return backend


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PYWRY_* variables or config files; in-process registrations of this test only."""
    for name in list(os.environ):
        if name.upper().startswith("PYWRY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_plugins, "_registered", {})
    register_state_backend("lab", LabBackend)
    return tmp_path


def test_defaults_environment_and_overrides_in_the_usual_order(
    monkeypatch: pytest.MonkeyPatch, clean: Path
) -> None:
    assert load_settings().deploy.backend_settings(LabSettings) == LabSettings()
    (clean / "pywry.toml").write_text('[deploy]\nlab_retries = 5\nlab_endpoint = "lab://file"\n')
    monkeypatch.setenv("PYWRY_DEPLOY__LAB_ENDPOINT", "lab://env")
    own = load_settings(deploy={"lab_retries": 7}).deploy.backend_settings(LabSettings)
    assert own == LabSettings(lab_endpoint="lab://env", lab_retries=7)
    assert load_settings().deploy.backend_settings(LabSettings).lab_retries == 5


def test_from_settings_gets_them_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_DEPLOY__STATE_BACKEND", "lab")
    monkeypatch.setenv("PYWRY_DEPLOY__LAB_ENDPOINT", "lab://there")
    backend: Any = LabBackend.from_settings(load_settings())
    assert backend.endpoint == "lab://there"


def test_errors_name_every_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_DEPLOY__LAB_RETRIES", "-1")
    monkeypatch.setenv("PYWRY_DEPLOY__LAB_ENDPOIN", "lab://typo")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    text = str(info.value)
    assert "PYWRY_DEPLOY__LAB_RETRIES='-1': Input should be greater than or equal to 0" in text
    assert "PYWRY_DEPLOY__LAB_ENDPOIN='lab://typo': not a setting of PyWry" in text
    assert "lab_endpoint" in text


def test_a_field_declared_twice_is_refused() -> None:
    class Clash(BaseModel):
        lab_endpoint: str = "x"

    class Other(MemoryBackend):
        name = "other"
        settings_model = Clash

    register_state_backend("other", Other)
    with pytest.raises(ConfigurationError, match="'lab_endpoint' is declared by the state"):
        load_settings()


def test_a_backend_field_may_not_shadow_pywrys() -> None:
    class Shadow(BaseModel):
        widget_ttl: int = 1

    class Other(MemoryBackend):
        name = "other"
        settings_model = Shadow

    register_state_backend("other", Other)
    with pytest.raises(ConfigurationError, match=r"'widget_ttl' is declared by .* and by PyWry"):
        load_settings()
