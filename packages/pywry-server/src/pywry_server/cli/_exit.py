"""How the commands end: exit statuses, and one line instead of a traceback."""

from __future__ import annotations

import traceback
from typing import NoReturn

import click
from pywry._startup import debug_requested, startup_line

__all__ = ["EXIT_CONFIG", "EXIT_PROBLEMS", "EXIT_UNAVAILABLE", "fail"]

#: A setting, the target or an installed distribution is wrong (sysexits' EX_CONFIG):
#: restarting will not help, so the systemd unit does not restart on it.
EXIT_CONFIG = 78
#: The state backend cannot be reached (EX_UNAVAILABLE): a restart later may work.
EXIT_UNAVAILABLE = 69
#: ``pywry doctor`` found at least one problem.
EXIT_PROBLEMS = 1


def fail(exc: BaseException, status: int) -> NoReturn:
    """Print ``exc`` as one line (plus its traceback with ``--debug``) and exit."""
    if debug_requested():
        traceback.print_exception(exc)
    click.echo(startup_line(exc), err=True)
    raise SystemExit(status)
