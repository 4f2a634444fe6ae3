"""Reserved namespaces are PyWry's in any case; every lower-case name keeps working."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pywry.errors import InvalidEventError
from pywry.events import check_user_event, reserved_namespace, validate_event_name
from pywry.runtime import Runtime
from pywry.toolbar import Button, Marquee
from pywry.widgets.widget import Widget


@pytest.fixture
def widget() -> Widget:
    return Widget(Runtime(), label="names", title="Names", content="")


@pytest.mark.parametrize(
    ("name", "namespace"),
    [
        ("pywry:alert", "pywry"),
        ("PyWry:foo", "pywry"),
        ("TOOLBAR:secret-reveal", "toolbar"),
        ("Grid:cell-edit", "grid"),
        ("pLoTlY:click", "plotly"),
        ("app:go", None),
        ("pywryish:go", None),
    ],
)
def test_reserved_namespace_ignores_case(name: str, namespace: str | None) -> None:
    assert reserved_namespace(name) == namespace


@pytest.mark.parametrize("name", ["PyWry:foo", "TOOLBAR:secret-reveal", "Grid:cell-edit"])
def test_a_reserved_namespace_in_another_case_is_refused_everywhere(
    widget: Widget, name: str
) -> None:
    lower = name.split(":", 1)[0].lower()
    with pytest.raises(InvalidEventError, match=f"reserved namespace '{lower}'"):
        validate_event_name(name)
    with pytest.raises(InvalidEventError):
        widget.on(name, lambda data, event, label: None)
    with pytest.raises(InvalidEventError):
        widget.emit(name, {})
    with pytest.raises(InvalidEventError):
        check_user_event(name)
    with pytest.raises(ValidationError, match="reserved namespace"):
        Button(event=name, label="Go")
    with pytest.raises(ValidationError, match="reserved namespace"):
        Marquee(event=name)
    with pytest.raises(InvalidEventError, match="reserved namespace"):
        widget.alert("Sure?", "confirm", reply_event=name)


@pytest.mark.parametrize("name", ["pywry:alert", "toolbar:secret-reveal", "grid:cell-edit"])
def test_lower_case_reserved_names_still_register_but_are_not_user_events(
    widget: Widget, name: str
) -> None:
    widget.on(name, lambda data, event, label: None)
    assert widget.handles(name)
    with pytest.raises(InvalidEventError, match="uses the reserved namespace"):
        check_user_event(name)


@pytest.mark.parametrize("name", ["app:go", "App:Go", "chart:region", "my-app:save.now"])
def test_user_names_in_any_case_are_fine(widget: Widget, name: str) -> None:
    assert check_user_event(name) == name
    widget.on(name, lambda data, event, label: None)
    assert Button(event=name, label="Go").event == name
