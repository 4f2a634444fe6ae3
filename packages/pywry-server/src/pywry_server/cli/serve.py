"""``pywry serve TARGET``: run an app with every setting available as a flag."""

from __future__ import annotations

import os
from typing import Any

import click
from pywry.config import load_settings
from pywry.errors import BackendError, ConfigurationError

from pywry_server.cli._exit import EXIT_CONFIG, EXIT_UNAVAILABLE, fail
from pywry_server.cli._flags import env_for_flags, overrides_from, settings_options
from pywry_server.cli._target import load_target
from pywry_server.runner import run

__all__ = ["serve"]


@click.command(short_help="Serve an app (my_app:app or my_app.py).")
@click.argument("target")
@settings_options
def serve(target: str, **params: Any) -> None:
    """Serve TARGET: my_app:app, package.module:app, my_app.py or my_app.py:app.

    The module is imported (its body runs once here and once in each worker; its
    `if __name__ == "__main__"` block does not run). Each flag overrides its
    environment variable, which overrides the config files, which override the
    default. Exit status: 78 for a configuration error, 69 when the state backend
    cannot be reached.
    """
    # Flags become environment variables: the app's own get_server_app() and every
    # worker process read them, so all see the same settings.
    os.environ.update(env_for_flags(overrides_from(params)))
    os.environ.setdefault("PYWRY_DEPLOY_MODE", "1")
    try:
        app = load_target(target)
        run(app, settings=load_settings())
    except ConfigurationError as exc:  # WorkersFailed included: a worker's reason
        fail(exc, EXIT_CONFIG)
    except BackendError as exc:  # BackendUnavailableError included
        fail(exc, EXIT_UNAVAILABLE)
