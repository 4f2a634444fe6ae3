"""Install hints that work from a PyWry checkout as well as from a package index.

Run inside a clone of the PyWry repository (the working directory or one of its
parents holds ``packages/<distribution>/pyproject.toml``), a hint names that folder
too, because the distributions may not be on the package index the user reaches.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

__all__ = ["checkout_folder", "install_hint"]


def checkout_folder(distribution: str, cwd: Path | None = None) -> str | None:
    """``./packages/<distribution>`` (or an absolute path) if a checkout holds it."""
    here = (cwd or Path.cwd()).resolve()
    for root in (here, *here.parents):
        project = root / "packages" / distribution / "pyproject.toml"
        if not project.is_file():
            continue
        try:
            name = tomllib.loads(project.read_text(encoding="utf-8"))["project"]["name"]
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
            continue
        if name != distribution:
            continue
        folder = project.parent
        if folder.is_relative_to(here):
            return "./" + folder.relative_to(here).as_posix()
        return str(folder)
    return None


def install_hint(distribution: str, *, reinstall: bool = False) -> str:
    """``pip install <distribution>``, plus the checkout's folder when there is one."""
    command = "pip install --force-reinstall" if reinstall else "pip install"
    folder = checkout_folder(distribution)
    if folder is None:
        return f"{command} {distribution}"
    return f"{command} {distribution} (from this checkout: {command} {folder})"
