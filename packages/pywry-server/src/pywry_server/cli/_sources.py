"""Every effective setting with where it came from: a flag, an env var, a file or the default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr
from pywry.config import PyWrySettings, config_files, env_var_for, file_origins, load_settings

from pywry_server.cli._flags import SECTIONS, flag_for, section_fields

__all__ = ["Source", "SourcedSetting", "explain", "mask"]

MASK = "********"


@dataclass(frozen=True)
class Source:
    """``kind`` is ``flag``, ``env``, ``file`` or ``default``; ``where`` names which one."""

    kind: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.where}".strip()


@dataclass(frozen=True)
class SourcedSetting:
    section: str
    name: str
    value: Any
    source: Source
    description: str

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env_var(self) -> str:
        return env_var_for(self.section, self.name)


def mask(value: Any) -> Any:
    """A value fit to print: secrets and URL passwords replaced by ``********``."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            user = parts.username or ""
            netloc = f"{user}:{MASK}@{parts.hostname or ''}"
            if parts.port:
                netloc += f":{parts.port}"
            return urlunsplit(parts._replace(netloc=netloc))
    return value


def _source(
    section: str,
    name: str,
    overrides: dict[str, dict[str, Any]],
    env_names: dict[str, str],
    origins: dict[tuple[str, str], Path],
) -> Source:
    if name in overrides.get(section, {}):
        return Source("flag", flag_for(section, name) or "")
    var = env_var_for(section, name)
    if var in env_names:
        return Source("env", env_names[var])
    if (section, name) in origins:
        return Source("file", str(origins[(section, name)]))
    return Source("default")


def explain(
    overrides: dict[str, dict[str, Any]] | None = None,
) -> tuple[PyWrySettings, list[SourcedSetting], list[Path]]:
    """Load the settings (raising ``ConfigurationError``) and tell each one's source."""
    given = overrides or {}
    settings = load_settings(**given)
    env_names = {name.upper(): name for name in os.environ}
    origins = file_origins()
    rows: list[SourcedSetting] = []
    for section in SECTIONS:
        values = getattr(settings, section)
        for name, field in section_fields(section).items():
            rows.append(
                SourcedSetting(
                    section,
                    name,
                    mask(getattr(values, name)),
                    _source(section, name, given, env_names, origins),
                    field.description or "",
                )
            )
    return settings, rows, [path for path, _ in config_files()]
