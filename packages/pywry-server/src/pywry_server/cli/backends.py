"""``pywry backends``: the servers and state backends installed, from their entry points."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib.metadata import EntryPoint, entry_points

import click
from pydantic import BaseModel
from pywry._hints import install_hint
from pywry.config import env_var_for
from pywry.registry import BACKEND_GROUP, KNOWN_DISTRIBUTIONS, SERVER_GROUP

__all__ = ["backends"]


@dataclass(frozen=True)
class Installed:
    group: str
    name: str
    target: str
    distribution: str
    version: str
    #: ``ok``, or why it cannot be used (the import error).
    status: str
    capabilities: list[str]
    #: The environment variables of the backend's own settings (its ``settings_model``).
    settings: list[str]


def _describe(group: str, ep: EntryPoint) -> Installed:
    dist = ep.dist
    status, capabilities, settings = "ok", [], []
    try:
        loaded = ep.load()
    except Exception as exc:  # a broken plugin is reported, not fatal to the listing
        status = f"failed to import: {exc}"
    else:
        capabilities = sorted(str(c.value) for c in getattr(loaded, "capabilities", ()))
        model = getattr(loaded, "settings_model", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            settings = [env_var_for("deploy", name) for name in model.model_fields]
    return Installed(
        group=group,
        name=ep.name,
        target=ep.value,
        distribution=dist.metadata["Name"] if dist else "?",
        version=dist.version if dist else "?",
        status=status,
        capabilities=capabilities,
        settings=settings,
    )


@click.command(short_help="List installed servers and state backends.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def backends(as_json: bool) -> None:
    """The installed servers and state backends: distribution, version, capabilities."""
    found = [
        _describe(group, ep)
        for group in (SERVER_GROUP, BACKEND_GROUP)
        for ep in sorted(entry_points(group=group), key=lambda e: e.name)
    ]
    installed = {i.name for i in found if i.group == BACKEND_GROUP}
    missing = {n: d for n, d in KNOWN_DISTRIBUTIONS.items() if n not in installed}
    if as_json:
        rows = [asdict(i) for i in found]
        click.echo(json.dumps({"installed": rows, "not_installed": missing}, indent=2))
        return
    for group in (SERVER_GROUP, BACKEND_GROUP):
        click.echo(f"{group}:")
        for item in (i for i in found if i.group == group):
            caps = f" [{', '.join(item.capabilities)}]" if item.capabilities else ""
            status = "" if item.status == "ok" else f"  ({item.status})"
            dist = f"{item.distribution} {item.version}"
            click.echo(f"  {item.name:<10} {dist:<26} {item.target}{caps}{status}")
            if item.settings:
                click.echo(f"  {'':<10} settings: {', '.join(item.settings)}")
    for name, dist in missing.items():
        click.echo(f"not installed: {name} ({install_hint(dist)})")
