"""Finding the app that ``pywry serve`` runs: ``my_app:app``, ``pkg.mod:attr`` or ``my_app.py``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from pywry.errors import ConfigurationError

__all__ = ["load_target"]

DEFAULT_ATTR = "app"


def _split(target: str) -> tuple[str, str]:
    head, sep, attr = target.rpartition(":")
    if not sep or not head or "/" in attr or "\\" in attr:
        return target, DEFAULT_ATTR
    return head, attr or DEFAULT_ATTR


def _from_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise ConfigurationError(
            f"pywry serve {path}: no such file. Give a script path (my_app.py) or an "
            "import string (my_app:app)."
        )
    name = path.stem
    if not name.isidentifier():
        raise ConfigurationError(
            f"pywry serve {path}: {name!r} is not a valid module name, so workers could not "
            "import it. Rename the file (letters, digits and _ only)."
        )
    sys.path.insert(0, str(path.parent.resolve()))
    spec = importlib.util.spec_from_file_location(name, path.resolve())
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"pywry serve {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _from_name(name: str) -> ModuleType:
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise ConfigurationError(
                f"pywry serve {name}: no module named {exc.name!r} in {Path.cwd()}. Run from "
                "the folder that holds it, or give the script's path (pywry serve my_app.py)."
            ) from exc
        raise


def load_target(target: str) -> Any:
    """Import ``target`` (running the module body once) and return its app object."""
    where, attr = _split(target)
    is_file = where.endswith(".py") or "/" in where or "\\" in where
    module = _from_file(Path(where)) if is_file else _from_name(where)
    try:
        return getattr(module, attr)
    except AttributeError:
        found = sorted(n for n, v in vars(module).items() if type(v).__name__ == "FastAPI")
        hint = f" It defines: {', '.join(found)}." if found else ""
        raise ConfigurationError(
            f"pywry serve {target}: {module.__name__} has no attribute {attr!r}.{hint} "
            f"Name the app as {where}:NAME, or define `{attr} = get_server_app()` at module level."
        ) from None
