"""The state backends' own settings: each backend's ``settings_model``, read from ``deploy``.

:class:`pywry.config.DeploySettings` keeps the keys that are not PyWry's and hands them
here: every installed or registered backend's model validates its fields (errors keep
their location, so :func:`pywry.config.load_settings` names the variable and the file),
and a key no backend declares is an error listing the ones that exist.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from pywry import _plugins
from pywry.errors import ConfigurationError

__all__ = ["backend_settings_models", "read_backend_settings"]


def backend_settings_models() -> tuple[dict[str, type[BaseModel]], list[str]]:
    """``settings_model`` of every installed or registered backend that declares one.

    Also the names of installed backends that failed to import (their settings are
    unknown; selecting one fails in :func:`pywry.registry.load_state_backend` with the
    real ``ImportError``).
    """
    classes: dict[str, object] = {}
    unreadable: list[str] = []
    for name, entry in _plugins.installed(_plugins.BACKEND_GROUP).items():
        try:
            classes[name] = entry.load()
        except ImportError:
            unreadable.append(name)
    classes.update(_plugins.registered(_plugins.BACKEND_GROUP))
    models: dict[str, type[BaseModel]] = {}
    for name, cls in sorted(classes.items()):
        model = getattr(cls, "settings_model", None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            models[name] = model
    return models, sorted(unreadable)


def read_backend_settings(
    given: dict[str, Any], reserved: Collection[str]
) -> dict[type[BaseModel], BaseModel]:
    """Each backend model validated from ``given`` (the keys beyond PyWry's ``reserved``).

    Raises ``ValidationError`` for bad values and unknown keys (locations relative to the
    section), ``ConfigurationError`` for two declarations of one field.
    """
    models, unreadable = backend_settings_models()
    owners: dict[str, str] = {}
    sections: dict[type[BaseModel], BaseModel] = {}
    errors: list[InitErrorDetails] = []
    for backend, model in models.items():
        for field in model.model_fields:
            owner = "PyWry" if field in reserved else owners.get(field)
            if owner is not None:
                raise ConfigurationError(
                    f"The deploy setting {field!r} is declared by the state backend "
                    f"{backend!r} and by {owner}; a backend's fields start with its name"
                )
            owners[field] = f"the state backend {backend!r}"
        try:
            sections[model] = model.model_validate(
                {key: given[key] for key in model.model_fields if key in given}
            )
        except ValidationError as exc:
            errors.extend(_line_errors(exc))
    for key in sorted(given.keys() - owners.keys()):
        errors.append(_unknown_key(key, given[key], sorted(owners), unreadable))
    if errors:
        raise ValidationError.from_exception_data("DeploySettings", errors)
    return sections


def _line_errors(exc: ValidationError) -> list[InitErrorDetails]:
    """``exc``'s errors, re-raisable as they are (message kept, location kept)."""
    return [
        {
            "type": PydanticCustomError(error["type"], error["msg"]),
            "loc": error["loc"],
            "input": error["input"],
        }
        for error in exc.errors()
    ]


def _unknown_key(key: str, value: Any, known: list[str], unreadable: list[str]) -> InitErrorDetails:
    hint = f"; the installed state backends' settings are {', '.join(known)}" if known else ""
    if unreadable:
        hint += f" (backends that failed to import: {', '.join(unreadable)})"
    return {
        "type": PydanticCustomError(
            "extra_forbidden", "not a setting of PyWry or of any installed state backend" + hint
        ),
        "loc": (key,),
        "input": value,
    }
