"""Toolbar components: validation, escaped HTML, stable ids, documented payloads."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from pywry import toolbar as tb
from pywry.toolbar.base import Component, Element

DOCS = Path(__file__).resolve().parents[3] / "docs" / "toolbar.md"
EVIL = '<script>alert("x")</script>'
POSITIONS = ["header", "footer", "top", "bottom", "left", "right", "inside"]
OPTIONS = [tb.Option(label="A", value="a"), tb.Option(label="B", value="b")]


def one_of_each(label: str = "Label", options: list[tb.Option] | None = None) -> list[Element]:
    """Every component class once, all with ``label`` (and ``options``)."""
    opts = options or OPTIONS
    return [
        tb.Button(event="app:button", label=label),
        tb.Select(event="app:select", label=label, options=opts),
        tb.MultiSelect(event="app:multi", label=label, options=opts),
        tb.RadioGroup(event="app:radio", label=label, options=opts),
        tb.TabGroup(event="app:tabs", label=label, options=opts),
        tb.TextInput(event="app:text", label=label),
        tb.TextArea(event="app:area", label=label),
        tb.SearchInput(event="app:search", label=label),
        tb.SecretInput(event="app:secret", label=label),
        tb.NumberInput(event="app:number", label=label),
        tb.DateInput(event="app:date", label=label),
        tb.SliderInput(event="app:slider", label=label),
        tb.RangeInput(event="app:range", label=label),
        tb.Toggle(event="app:toggle", label=label),
        tb.Checkbox(event="app:check", label=label),
        tb.Div(label=label, content=label),
        tb.Marquee(event="app:marquee", label=label, items=[tb.TickerItem(label=label)]),
    ]


COMPONENT_CLASSES = sorted(
    {type(item) for item in one_of_each() if isinstance(item, Component) or item.payload},
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("item", one_of_each(), ids=lambda item: type(item).__name__)
def test_label_is_escaped(item: Element) -> None:
    evil = type(item).model_validate({**item.model_dump(exclude={"component_id"}), "label": EVIL})
    html = evil.render()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "item",
    [i for i in one_of_each(options=[tb.Option(label=EVIL, value=EVIL)]) if hasattr(i, "options")],
    ids=lambda item: type(item).__name__,
)
def test_option_labels_and_values_are_escaped(item: Element) -> None:
    html = item.render()
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") >= 2  # the label and the value attribute


@pytest.mark.parametrize("namespace", ["pywry", "plotly", "grid", "toolbar"])
def test_reserved_namespaces_are_refused(namespace: str) -> None:
    with pytest.raises(ValidationError, match="reserved namespace"):
        tb.Button(event=f"{namespace}:click", label="x")
    with pytest.raises(ValidationError, match="reserved namespace"):
        tb.Marquee(event=f"{namespace}:tick")


@pytest.mark.parametrize("event", ["click", "a b:c", ":x", "x:", "x:<y>", "a" * 200 + ":b"])
def test_malformed_event_names_are_refused(event: str) -> None:
    with pytest.raises(ValidationError, match="Invalid event name"):
        tb.TextInput(event=event)


def test_unknown_fields_and_bad_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        tb.Button(event="app:x", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="letters, digits"):
        tb.Button(event="app:x", component_id='x" onclick="y')


def test_component_ids_are_deterministic_and_distinct() -> None:
    first = [item.component_id for item in one_of_each()]
    assert first == [item.component_id for item in one_of_each()]
    assert len(set(first)) == len(first)
    # the foundation's ids are kept: kind|event|label
    select = tb.Select(event="chart:region", label="Region", options=OPTIONS)
    assert select.component_id == "select-" + _sha("select|chart:region|Region")[:10]


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (tb.Select, {"options": OPTIONS, "selected": "zzz"}, "not among the option"),
        (tb.MultiSelect, {"options": OPTIONS, "selected": ["a", "q"]}, "not among the option"),
        (tb.RadioGroup, {"options": OPTIONS, "selected": "q"}, "not among the option"),
        (tb.TabGroup, {"options": OPTIONS, "selected": "q"}, "not among the option"),
        (tb.NumberInput, {"min": 5, "max": 1}, "greater than max"),
        (tb.NumberInput, {"min": 0, "max": 10, "value": 11}, "above max"),
        (tb.NumberInput, {"step": 0}, "greater than 0"),
        (tb.DateInput, {"min": dt.date(2024, 2, 1), "value": dt.date(2024, 1, 1)}, "below min"),
        (tb.SliderInput, {"value": 101}, "outside"),
        (tb.SliderInput, {"min": 5, "max": 5}, "less than max"),
        (tb.RangeInput, {"start": 60, "end": 40}, "greater than end"),
        (tb.RangeInput, {"start": -1}, "outside"),
        (tb.Button, {"variant": "rainbow"}, "Input should be"),
        (tb.Button, {"size": "xl"}, "Input should be"),
        (tb.TextInput, {"debounce_ms": -1}, "greater than or equal"),
    ],
)
def test_fields_are_validated(cls: type[Component], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cls(event="app:x", **kwargs)


def test_select_keeps_spec_markup_and_label_binding() -> None:
    select = tb.Select(
        event="chart:region",
        label="Region",
        options=[tb.Option(label="All", value="all"), tb.Option(label="North", value="north")],
        selected="all",
        searchable=True,
    )
    html = select.render()
    assert f'<label class="pywry-label" id="{select.component_id}-label" ' in html
    assert f'for="{select.component_id}"' in html
    assert f'<select class="pywry-select" id="{select.component_id}"' in html
    assert '<option value="all" selected>All</option>' in html
    assert 'data-filter-for="' in html


def test_button_carries_data_variant_and_size() -> None:
    button = tb.Button(event="app:go", label="Go", data={"n": 1, "q": "<x>"}, variant="danger")
    html = button.render()
    assert "pywry-button-danger" in html and "pywry-size-md" in html
    assert 'data-payload="{&quot;n&quot;:1,&quot;q&quot;:&quot;&lt;x&gt;&quot;}"' in html


def test_secret_value_never_rendered() -> None:
    secret = tb.SecretInput(
        event="app:key", label="Key", value=SecretStr("sk-live-123"), placeholder="p"
    )
    html = secret.render()
    assert "sk-live-123" not in html
    assert "sk-live-123" not in repr(secret) and "sk-live-123" not in str(secret.model_dump())
    assert 'data-has-value="true"' in html
    assert secret.secret() == "sk-live-123"
    bar = tb.Toolbar(items=[tb.Div(children=[secret])])
    assert "sk-live-123" not in bar.render()


def test_number_date_and_range_attributes() -> None:
    number = tb.NumberInput(event="app:n", min=0, max=10, step=0.5, value=2).render()
    assert 'min="0" max="10" step="0.5"' in number and 'value="2"' in number
    date = tb.DateInput(event="app:d", value=dt.date(2024, 3, 1), max=dt.date(2024, 12, 31))
    assert 'value="2024-03-01"' in date.render() and 'max="2024-12-31"' in date.render()
    rng = tb.RangeInput(event="app:r", start=10, end=30).render()
    assert 'data-handle="start"' in rng and 'value="10"' in rng and 'value="30"' in rng


def test_div_nests_children_and_toolbar_walks_them() -> None:
    inner = tb.Button(event="app:inner", label="Inner")
    outer = tb.Div(content="Box", children=[tb.Div(children=[inner])])
    html = outer.render()
    assert html.index("Box") < html.index("Inner")
    assert html.count('data-kind="div"') == 2
    marquee = tb.Marquee(items=[tb.TickerItem(label="AAPL", value="1")])
    bar = tb.Toolbar(items=[outer, marquee])
    kinds = [element.kind for element in bar.walk()]
    assert kinds == ["div", "div", "button", "marquee", "ticker"]


def test_marquee_items_render_twice_with_one_id() -> None:
    item = tb.TickerItem(label="AAPL", value="189.00", tone="up")
    html = tb.Marquee(event="app:t", items=[item]).render()
    assert html.count(f'id="{item.component_id}"') == 1
    assert html.count(f'data-ticker="{item.component_id}"') == 2
    assert "pywry-tone-up" in html


@pytest.mark.parametrize("position", POSITIONS)
def test_toolbar_positions_flags_and_ids(position: str) -> None:
    bar = tb.Toolbar(position=position, items=one_of_each(), collapsible=True, resizable=True)  # type: ignore[arg-type]
    html = bar.render()
    assert f'data-position="{position}"' in html
    assert 'class="pywry-toolbar-toggle"' in html and 'aria-expanded="true"' in html
    assert "pywry-resize-handle" in html
    again = tb.Toolbar(position=position, items=one_of_each())  # type: ignore[arg-type]
    assert again.toolbar_id == bar.toolbar_id
    plain = tb.Toolbar(position=position).render()  # type: ignore[arg-type]
    assert "pywry-toolbar-toggle" not in plain and "pywry-resize-handle" not in plain
    with pytest.raises(ValidationError):
        tb.Toolbar(position="middle")  # type: ignore[arg-type]


def test_every_component_documents_its_payload() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for cls in COMPONENT_CLASSES:
        assert cls.payload, f"{cls.__name__} has no payload documentation"
        assert "componentId" in cls.payload
        section = re.search(rf"^### `{cls.__name__}`$(.*?)(?=^### |\Z)", docs, re.M | re.S)
        assert section is not None, f"docs/toolbar.md has no section for {cls.__name__}"
        assert cls.payload in section.group(1), f"{cls.__name__}'s payload is not in its section"


def test_public_names() -> None:
    expected = {
        "Button", "Select", "MultiSelect", "TextInput", "TextArea", "SearchInput",
        "SecretInput", "NumberInput", "DateInput", "SliderInput", "RangeInput", "Toggle",
        "Checkbox", "RadioGroup", "TabGroup", "Div", "Marquee", "TickerItem", "Option",
        "Toolbar",
    }  # fmt: skip
    assert expected <= set(tb.__all__)
