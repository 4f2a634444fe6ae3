"""FileInput: validation, rendering, the payload documented in docs/toolbar.md."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from pywry.errors import UploadError
from pywry.runtime import Runtime
from pywry.toolbar import FileInput, Toolbar
from pywry.toolbar.files import file_input_events, find_file_input
from pywry.uploads import get
from pywry.widgets.widget import Widget

DOCS = Path(__file__).resolve().parents[3] / "docs" / "toolbar.md"


def test_accept_entries_are_checked_and_lowered() -> None:
    assert FileInput(event="app:f", accept=[".CSV", "Text/CSV", "image/*"]).accept == [
        ".csv",
        "text/csv",
        "image/*",
    ]
    for bad in ["csv", "../x", "text/csv;x", ""]:
        with pytest.raises(pydantic.ValidationError):
            FileInput(event="app:f", accept=[bad])
    with pytest.raises(pydantic.ValidationError):
        FileInput(event="app:f", max_bytes=0)
    with pytest.raises(pydantic.ValidationError):
        FileInput(event="pywry:f")


def test_render_is_escaped_and_labelled() -> None:
    html = FileInput(event="app:f", label="<b>Data</b>", multiple=True, accept=[".csv"]).render()
    assert "&lt;b&gt;Data&lt;/b&gt;" in html and "<b>" not in html
    assert 'type="file"' in html and " multiple" in html and 'accept=".csv"' in html
    assert 'data-kind="file"' in html and 'role="status"' in html


def test_payload_is_documented() -> None:
    assert f"Payload: `{FileInput.payload}`" in DOCS.read_text(encoding="utf-8")


def test_widget_finds_its_file_inputs() -> None:
    picker = FileInput(event="app:files", component_id="data")
    widget = Widget(Runtime(), label="w", title="W", content="", toolbars=[Toolbar(items=[picker])])
    assert find_file_input(widget, "data") is picker
    assert find_file_input(widget, "other") is None
    assert file_input_events(widget) == {"app:files"}


def test_reading_outside_a_callback_says_where() -> None:
    with pytest.raises(UploadError, match="inside the callback"):
        get("some-id")
