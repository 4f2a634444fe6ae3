"""``pywry config reference``: every setting as a Markdown reference, from the models.

The documentation's settings reference (``docs/settings.md``) is this command's output
for PyWry's own sections and the redis and sqlite backends
(``pywry config reference --backend redis --backend sqlite``); a test fails when the
file and the models drift apart. Without ``--backend`` every installed backend is listed.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import annotated_types
import click
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pywry.config import DeploySettings, ServerSettings, backend_settings_models, env_var_for

__all__ = ["reference", "reference_markdown"]

_INTRO = """\
# Settings reference

Generated from the settings models by `pywry config reference --backend redis
--backend sqlite`; do not edit by hand (`tests/test_docs.py` fails when this page and
the models differ). Where the values come from and in which order:
[configuration](configuration.md). Every setting is also a flag of `pywry serve`,
`pywry config show` and `pywry doctor` (`--port` for `server.port`): [cli](cli.md).
"""

_BOUNDS: tuple[tuple[type[Any], str], ...] = (
    (annotated_types.Ge, ">= {}"),
    (annotated_types.Gt, "> {}"),
    (annotated_types.Le, "<= {}"),
    (annotated_types.Lt, "< {}"),
)


def _base(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``None``, and whether ``None`` is allowed."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(
            typing.get_args(annotation)
        )
    return annotation, False


def _accepts(field: FieldInfo) -> str:
    """What a value may be: the type, choices and bounds, as short text."""
    base, optional = _base(field.annotation)
    if typing.get_origin(base) is Literal:
        text = " \\| ".join(f"`{choice}`" for choice in typing.get_args(base))
    elif base is bool:
        text = "`true` \\| `false`"
    elif typing.get_origin(base) is list:
        text = "list (JSON or comma-separated)"
    elif base is SecretStr:
        text = "secret text (never printed)"
    else:
        text = getattr(base, "__name__", str(base))
        bounds = [
            template.format(getattr(item, kind.__name__.lower()))  # Ge(ge=0).ge
            for item in field.metadata
            for kind, template in _BOUNDS
            if isinstance(item, kind)
        ]
        if bounds:
            text += ", " + ", ".join(bounds)
    return text + (", or unset" if optional else "")


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, list):
        return "`" + ",".join(str(v) for v in value) + "`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(section: str, fields: dict[str, FieldInfo]) -> list[str]:
    rows = [
        "| Setting | Environment variable | Default | Accepts | What it does |",
        "|---|---|---|---|---|",
    ]
    for name, field in fields.items():
        rows.append(
            f"| `{section}.{name}` | `{env_var_for(section, name)}` | {_default(field)} "
            f"| {_accepts(field)} | {_cell(field.description or '')} |"
        )
    return rows


def _doc_title(model: type[BaseModel]) -> str:
    first = (model.__doc__ or "").strip().split("\n\n")[0]
    return first.replace("\n", " ").replace("``", "`")


def reference_markdown(backends: Iterable[str] | None = None) -> str:
    """The Markdown reference of PyWry's settings and of ``backends`` (none: installed)."""
    installed, _ = backend_settings_models()
    names = sorted(installed) if backends is None else list(backends)
    missing = [name for name in names if name not in installed]
    if missing:
        raise click.UsageError(
            f"no installed backend with settings named {', '.join(missing)}; "
            f"installed: {', '.join(sorted(installed)) or 'none'}"
        )
    lines = [_INTRO]
    sections: list[tuple[str, str, type[BaseModel]]] = [
        ("Server", "server", ServerSettings),
        ("Deploy", "deploy", DeploySettings),
    ]
    sections += [(f"Backend `{name}`", "deploy", installed[name]) for name in names]
    for title, section, model in sections:
        lines += [f"## {title}", "", _doc_title(model), "", *_table(section, model.model_fields)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@click.command(short_help="Every setting as a Markdown reference.")
@click.option(
    "--backend",
    "backends",
    multiple=True,
    metavar="NAME",
    help="List only these backends' settings (repeatable; default: every installed one).",
)
def reference(backends: Sequence[str]) -> None:
    """Print every setting (variable, default, accepted values, meaning) as Markdown."""
    click.echo(reference_markdown(backends or None), nl=False)
