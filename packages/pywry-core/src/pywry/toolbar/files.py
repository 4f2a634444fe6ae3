"""``FileInput``: a file picker whose files upload over HTTP in pieces (``docs/files.md``)."""

from __future__ import annotations

import html
import re
from typing import Any, ClassVar

from pydantic import Field, field_validator

from pywry.toolbar.base import Component, attrs

__all__ = [
    "MAX_FILES",
    "RECORD_KEY",
    "FileInput",
    "file_input_events",
    "file_input_of_record",
    "file_inputs",
    "find_file_input",
]

#: The most files one pick of a ``multiple`` input may send.
MAX_FILES = 20
#: The widget record's payload key listing its ``FileInput``s, so that any worker can
#: check an upload for a widget another worker made at run time.
RECORD_KEY = "fileInputs"
_EXTENSION = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,63})$")


class FileInput(Component):
    """Pick files; they upload in pieces, then ``event`` runs once with all of them."""

    kind: ClassVar[str] = "file"
    payload: ClassVar[str] = (
        '{"files": [{"name": str, "size": int, "type": str, "id": str}], "componentId": str}'
    )

    #: Let the user pick several files at once (at most :data:`MAX_FILES`).
    multiple: bool = False
    #: Accepted extensions (``".csv"``) and media types (``"text/csv"``, ``"image/*"``);
    #: empty accepts any file. Checked on the server, not only by the picker.
    accept: list[str] = Field(default_factory=list)
    #: Largest file, in bytes; the smaller of this and ``PYWRY_DEPLOY__UPLOAD_MAX_BYTES``.
    max_bytes: int | None = Field(default=None, gt=0)

    @field_validator("accept")
    @classmethod
    def _accept(cls, value: list[str]) -> list[str]:
        out = []
        for item in value:
            entry = item.strip().lower()
            if not (_EXTENSION.match(entry) or _MEDIA_TYPE.match(entry)):
                raise ValueError(
                    f"accept entries are extensions ('.csv') or media types ('text/csv', "
                    f"'image/*'), got {item!r}"
                )
            out.append(entry)
        return out

    def render(self) -> str:
        picker = attrs(
            type="file",
            multiple=self.multiple,
            accept=",".join(self.accept) or None,
            data_max_bytes=str(self.max_bytes) if self.max_bytes else None,
        )
        text = html.escape(self.label or "Upload")
        return (
            f'<span class="pywry-field pywry-file">'
            f'<label class="pywry-label pywry-file-label" for="{html.escape(self.component_id)}">'
            f"{text}</label>"
            f'<input class="pywry-file-input" {self.common_attrs()} {picker}>'
            f'<span class="pywry-file-status" role="status" aria-live="polite" '
            f"{attrs(id=self.component_id + '-status')}></span></span>"
        )


def file_inputs(widget: object) -> list[FileInput]:
    """Every ``FileInput`` of the widget's toolbars, nested ones included."""
    stack: list[Any] = [i for t in getattr(widget, "toolbars", ()) for i in t.items]
    found = []
    while stack:
        item = stack.pop()
        if isinstance(item, FileInput):
            found.append(item)
        stack.extend(getattr(item, "children", ()) or ())
    return found


def find_file_input(widget: object, component_id: str) -> FileInput | None:
    """The widget's ``FileInput`` with ``component_id`` (searched in every toolbar)."""
    return next((f for f in file_inputs(widget) if f.component_id == component_id), None)


def file_input_of_record(payload: dict[str, Any], component_id: str) -> FileInput | None:
    """The ``FileInput`` with ``component_id`` listed in a widget record's ``payload``."""
    for entry in payload.get(RECORD_KEY, ()):
        if isinstance(entry, dict) and entry.get("component_id") == component_id:
            return FileInput.model_validate(entry)
    return None


def file_input_events(widget: object) -> set[str]:
    """The events of the widget's ``FileInput``s (only an upload's end runs them)."""
    return {item.event for item in file_inputs(widget)}
