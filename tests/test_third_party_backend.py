"""A third party's backend, installed as its own distribution, passes the conformance kit.

``tests/third_party_backend`` is the ``pywry-state-example`` distribution; it registers
``example`` in the ``pywry.state_backends`` entry-point group, and the kit finds it
there by name, exactly as a deployment with ``PYWRY_DEPLOY__STATE_BACKEND=example`` would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pywry.config import load_settings
from pywry.errors import ConfigurationError
from pywry.registry import available_state_backends, load_state_backend
from pywry.testing import BackendConformance
from pywry_state_example import ExampleSettings


def test_example_backend_is_discovered_through_its_entry_point() -> None:
    assert "example" in available_state_backends()


class TestExampleBackend(BackendConformance):
    @pytest.fixture
    def backend_env(self) -> dict[str, str]:
        return {"PYWRY_DEPLOY__STATE_BACKEND": "example"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PYWRY_* variables, no user config, an empty working directory."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("PYWRY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_its_setting_reaches_the_backend_from_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYWRY_DEPLOY__STATE_BACKEND", "example")
    monkeypatch.setenv("PYWRY_DEPLOY__EXAMPLE_URL", "example://kv.internal:7000")
    settings = load_settings()
    assert settings.deploy.backend_settings(ExampleSettings).example_url == (
        "example://kv.internal:7000"
    )
    backend = load_state_backend("example").from_settings(settings)
    assert backend.describe() == {"backend": "example", "url": "example://kv.internal:7000"}


def test_its_setting_comes_from_config_files_too_and_the_environment_wins(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / "pywry.toml").write_text('[deploy]\nexample_url = "example://from-file"\n')
    assert load_settings().deploy.backend_settings(ExampleSettings).example_url == (
        "example://from-file"
    )
    monkeypatch.setenv("PYWRY_DEPLOY__EXAMPLE_URL", "example://from-env")
    assert load_settings().deploy.backend_settings(ExampleSettings).example_url == (
        "example://from-env"
    )


def test_a_bad_value_names_the_variable(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYWRY_DEPLOY__EXAMPLE_URL", "http://kv.internal")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert "PYWRY_DEPLOY__EXAMPLE_URL='http://kv.internal': must start with example://" in str(
        info.value
    )


def test_a_bad_value_in_a_file_names_the_file_and_the_variable(clean_env: Path) -> None:
    (clean_env / "pywry.toml").write_text('[deploy]\nexample_url = "nope"\n')
    with pytest.raises(
        ConfigurationError, match=r"PYWRY_DEPLOY__EXAMPLE_URL='nope' \(from .*pywry\.toml\)"
    ):
        load_settings()


def test_a_misspelt_backend_setting_is_an_error_listing_the_real_ones(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYWRY_DEPLOY__EXAMPLE_ULR", "example://x")
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert "PYWRY_DEPLOY__EXAMPLE_ULR" in str(info.value)
    assert "example_url" in str(info.value)
