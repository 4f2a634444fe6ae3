"""``pywry doctor``: is this machine ready to serve with these settings?"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click
from pywry.errors import ConfigurationError

from pywry_server.cli._checks import CHECKS, Finding
from pywry_server.cli._exit import EXIT_PROBLEMS
from pywry_server.cli._flags import overrides_from, settings_options
from pywry_server.cli._sources import explain

__all__ = ["doctor"]

_MARK = {"ok": "ok", "warn": "warning", "error": "PROBLEM"}


def _findings(params: dict[str, Any]) -> list[Finding]:
    try:
        settings, rows, files = explain(overrides_from(params))
    except ConfigurationError as exc:
        fix = "correct the variable or file named above (pywry config show lists every source)"
        return [Finding("error", "settings", str(exc), fix)]
    changed = sum(1 for row in rows if row.source.kind != "default")
    origin = f"{changed} set by flag, env or file; files: {', '.join(map(str, files)) or 'none'}"
    found = [Finding("ok", "settings", f"valid ({origin})")]
    for check in CHECKS:
        found.extend(check(settings))
    return found


@click.command(short_help="Check that this machine can serve with these settings.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@settings_options
def doctor(as_json: bool, **params: Any) -> None:
    """Check the settings, the state backend, SQLCipher and keyring, TLS files and the port.

    Takes the same flags as `pywry serve`. Every problem comes with its fix; the exit
    status is 1 when there is at least one problem (warnings do not count).
    """
    found = _findings(params)
    problems = [f for f in found if f.status == "error"]
    if as_json:
        click.echo(
            json.dumps({"ok": not problems, "findings": [asdict(f) for f in found]}, indent=2)
        )
    else:
        for finding in found:
            mark = _MARK[finding.status]
            click.echo(f"{mark:<8} {finding.topic}: {finding.message}")
            if finding.fix:
                click.echo(f"{'':<8} fix: {finding.fix}")
        summary = f"{len(problems)} problem(s) found." if problems else "No problems found."
        click.echo(summary)
    if problems:
        raise SystemExit(EXIT_PROBLEMS)
