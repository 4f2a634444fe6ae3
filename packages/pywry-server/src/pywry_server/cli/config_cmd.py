"""``pywry config show``: every effective setting, its value and its source."""

from __future__ import annotations

import json
from typing import Any

import click
from pywry.errors import ConfigurationError

from pywry_server.cli._exit import EXIT_CONFIG, fail
from pywry_server.cli._flags import overrides_from, settings_options
from pywry_server.cli._sources import SourcedSetting, explain
from pywry_server.cli.reference import reference

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect the settings."""


config.add_command(reference)


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _as_json(rows: list[SourcedSetting], files: list[str]) -> str:
    settings = {
        row.key: {
            "value": row.value,
            "source": row.source.kind,
            "origin": row.source.where or None,
            "env": row.env_var,
        }
        for row in rows
    }
    return json.dumps({"files": files, "settings": settings}, indent=2, default=str)


@config.command(short_help="Every effective setting and its source.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@settings_options
def show(as_json: bool, **params: Any) -> None:
    """Every effective setting with its source (flag, env var, file or default).

    Give the same flags as `pywry serve` to see what they would change. Secrets
    (the TLS key password, passwords in URLs) are masked.
    """
    try:
        _, rows, files = explain(overrides_from(params))
    except ConfigurationError as exc:
        fail(exc, EXIT_CONFIG)
    if as_json:
        click.echo(_as_json(rows, [str(f) for f in files]))
        return
    click.echo("Config files read: " + (", ".join(str(f) for f in files) or "none"))
    width = max(len(row.key) for row in rows)
    values = [_text(row.value) for row in rows]
    value_width = min(max(len(v) for v in values), 40)
    click.echo(f"{'SETTING':<{width}}  {'VALUE':<{value_width}}  SOURCE")
    for row, value in zip(rows, values, strict=True):
        click.echo(f"{row.key:<{width}}  {value:<{value_width}}  {row.source}")
