"""The config files PyWry reads, lowest priority first, as a pydantic-settings source.

:mod:`pywry.config` puts this source between the environment and the defaults; it
remembers which file set which key, so an error names the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from pywry.errors import ConfigurationError

__all__ = ["FileSource", "config_files", "file_origins"]


def config_files(cwd: Path | None = None) -> list[tuple[Path, tuple[str, ...]]]:
    """The config files that exist, lowest priority first, with the table to read."""
    here = cwd or Path.cwd()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    candidates: list[tuple[Path, tuple[str, ...]]] = [
        (Path(base) / "pywry" / "config.toml", ()),
        (here / "pyproject.toml", ("tool", "pywry")),
        (here / "pywry.toml", ()),
    ]
    found = [(path, table) for path, table in candidates if path.is_file()]
    named = os.environ.get("PYWRY_CONFIG_FILE", "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigurationError(
                f"PYWRY_CONFIG_FILE={named!r}: no such file. Point it at a TOML file or unset it."
            )
        found.append((path, ()))
    return found


def _read_toml(path: Path, table: tuple[str, ...]) -> dict[str, Any]:
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(f"config file {path} cannot be read: {exc}") from exc
    for key in table:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"config file {path}: [{'.'.join(table)}] must be a table")
    return data


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def file_origins() -> dict[tuple[str, str], Path]:
    """The config file that sets each ``(section, key)`` (the highest-priority file wins)."""
    origins: dict[tuple[str, str], Path] = {}
    for path, table in config_files():
        for section, values in _read_toml(path, table).items():
            if isinstance(values, dict):
                origins.update({(section, key): path for key in values})
    return origins


class FileSource(PydanticBaseSettingsSource):
    """Every config file, merged; remembers which file set which key for errors."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.origins: dict[tuple[str, ...], Path] = {}
        merged: dict[str, Any] = {}
        for path, table in config_files():
            data = _read_toml(path, table)
            for section, values in data.items():
                keys = values.keys() if isinstance(values, dict) else [None]
                for key in keys:
                    self.origins[(section,) if key is None else (section, key)] = path
            merged = _merge(merged, data)
        self.data = merged

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self.data
