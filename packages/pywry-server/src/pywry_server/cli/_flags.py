"""Command-line flags generated from the settings models, one per setting.

``--port`` is ``server.port`` (``PYWRY_SERVER__PORT``), ``--state-backend`` is
``deploy.state_backend``; a setting added to a model gets its flag without code here,
and so does every field of an installed state backend's ``settings_model``
(``--redis-url``, ``--sqlite-path``).
A flag that is not given has the value ``None`` and leaves the setting to the
environment, the config files and the default (flag > env > file > default).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import click
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pywry.config import DeploySettings, ServerSettings, backend_settings_models, env_var_for

__all__ = [
    "SECTIONS",
    "Flag",
    "env_for_flags",
    "flag_for",
    "flags",
    "overrides_from",
    "section_fields",
    "settings_options",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The settings sections that get flags, in ``--help`` order.
SECTIONS: dict[str, type[BaseModel]] = {"server": ServerSettings, "deploy": DeploySettings}
#: Settings without a flag, and why.
WITHOUT_FLAG = {
    ("deploy", "enabled"): "pywry serve always runs deploy mode",
}


@dataclass(frozen=True)
class Flag:
    """One setting as a command-line flag."""

    section: str
    name: str
    field: FieldInfo

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return f"{self.section}__{self.name}"

    @property
    def env_var(self) -> str:
        return env_var_for(self.section, self.name)

    @property
    def is_bool(self) -> bool:
        return _base_type(self.field.annotation) is bool

    def click_option(self) -> Callable[[F], F]:
        default = self.field.get_default(call_default_factory=True)
        shown = _show(default)
        help_text = f"{self.field.description or ''} [env: {self.env_var}; default: {shown}]"
        if self.is_bool:
            decls = [f"{self.option}/--no-{self.option[2:]}", self.dest]
            return click.option(*decls, default=None, help=help_text)
        return click.option(
            self.option,
            self.dest,
            type=_click_type(self.field.annotation, self.env_var),
            default=None,
            metavar=_metavar(self.field.annotation),
            help=help_text,
        )


def _base_type(annotation: Any) -> Any:
    """``int`` for ``int | None``; the annotation itself otherwise."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _click_type(annotation: Any, env_var: str) -> click.ParamType[Any, Any]:
    base = _base_type(annotation)
    if typing.get_origin(base) is Literal:
        return click.Choice([str(a) for a in typing.get_args(base)], case_sensitive=False)
    if base is int:
        return click.INT
    if base is float:
        return click.FLOAT
    if base in (str, SecretStr) or typing.get_origin(base) is list:
        return click.STRING  # lists: comma-separated or JSON, as in the environment
    raise TypeError(f"{env_var}: no command-line flag type for {annotation!r}; add one here")


def _metavar(annotation: Any) -> str:
    base = _base_type(annotation)
    if typing.get_origin(base) is Literal:
        return "[" + "|".join(str(a) for a in typing.get_args(base)) + "]"
    if base is int:
        return "INT"
    if base is float:
        return "FLOAT"
    return "LIST" if typing.get_origin(base) is list else "TEXT"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def section_fields(section: str) -> dict[str, FieldInfo]:
    """The fields of ``section``: PyWry's own, then (``deploy``) the installed backends'."""
    fields = dict(SECTIONS[section].model_fields)
    if section == "deploy":
        for model in backend_settings_models()[0].values():
            fields.update(model.model_fields)
    return fields


def flags() -> Iterator[Flag]:
    """Every setting that has a flag, section by section."""
    for section in SECTIONS:
        for name, field in section_fields(section).items():
            if (section, name) not in WITHOUT_FLAG:
                yield Flag(section, name, field)


def settings_options(fn: F) -> F:
    """Decorate a click command with one option per setting."""
    for flag in reversed(list(flags())):
        fn = flag.click_option()(fn)
    return fn


def overrides_from(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The given flags as :func:`pywry.config.load_settings` keyword arguments."""
    out: dict[str, dict[str, Any]] = {}
    for flag in flags():
        value = params.get(flag.dest)
        if value is not None:
            out.setdefault(flag.section, {})[flag.name] = value
    return out


def env_for_flags(overrides: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The given flags as environment variables (so every worker process sees them)."""
    env: dict[str, str] = {}
    for section, values in overrides.items():
        for name, value in values.items():
            env[env_var_for(section, name)] = _show(value) if value is not None else ""
    return env


def flag_for(section: str, name: str) -> str | None:
    """``--port`` for ``("server", "port")``; ``None`` for a setting without a flag."""
    if (section, name) in WITHOUT_FLAG or section not in SECTIONS:
        return None
    return "--" + name.replace("_", "-")
