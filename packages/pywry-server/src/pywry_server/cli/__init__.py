"""The ``pywry`` command (also ``python -m pywry_server``).

``pywry serve``, ``pywry config show``, ``pywry backends`` and ``pywry doctor``; see
``docs/cli.md``. Every server and deploy setting is a flag of ``serve``, ``config show``
and ``doctor``, generated from the settings models (:mod:`pywry_server.cli._flags`).
"""

from __future__ import annotations

import os
from importlib.metadata import version

import click
from pywry._startup import DEBUG_ENV

from pywry_server.cli.backends import backends
from pywry_server.cli.config_cmd import config
from pywry_server.cli.doctor import doctor
from pywry_server.cli.serve import serve

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(version("pywry-server"), prog_name="pywry")
@click.option(
    "--debug",
    is_flag=True,
    help=f"Show tracebacks of start-up errors (same as {DEBUG_ENV}=1).",
)
def main(debug: bool) -> None:
    """PyWry deploy mode: serve widget apps, inspect settings, check a deployment."""
    if debug:
        os.environ[DEBUG_ENV] = "1"


main.add_command(serve)
main.add_command(config)
main.add_command(backends)
main.add_command(doctor)
