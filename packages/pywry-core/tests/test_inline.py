from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pywry import inline
from pywry.errors import InvalidEventError, WidgetError, WidgetNotFoundError


def test_show_returns_widget_with_label_and_html() -> None:
    widget = inline.show("<h1>Dashboard</h1>", label="dashboard")
    assert widget.label == "dashboard"
    page = inline.get_widget_html("dashboard")
    assert "<h1>Dashboard</h1>" in page
    assert page.startswith("<!doctype html>")


async def test_async_html_matches_sync() -> None:
    widget = inline.show("<p>x</p>", title="T")
    assert await inline.get_widget_html_async(widget.label) == inline.get_widget_html(widget.label)


def test_unknown_label_raises_clear_error() -> None:
    inline.show("<p>x</p>", label="known-one")
    with pytest.raises(WidgetNotFoundError, match="No widget with label 'nope'") as info:
        inline.get_widget_html("nope")
    assert "known-one" not in str(info.value)  # it reaches 404 bodies: other labels stay hidden
    assert info.value.label == "nope"


def test_invalid_label_is_refused() -> None:
    with pytest.raises(WidgetError, match="Invalid widget label"):
        inline.show("<p>x</p>", label="has space")


def test_derived_labels_depend_on_title_and_call_site() -> None:
    a = inline.show("<p>a</p>", title="Revenue")
    b = inline.show("<p>b</p>", title="Revenue")
    c = inline.show("<p>c</p>", title="Costs")
    assert a.label.startswith("revenue-")
    assert len({a.label, b.label, c.label}) == 3


def test_call_site_in_a_package_named_like_pywry_counts() -> None:
    import pywry

    beside = Path(pywry.__file__).resolve().parent.with_name("pywry_app") / "app.py"
    code = compile(
        'a = show("<p>a</p>", title="Same")\nb = show("<p>b</p>", title="Same")\n',
        str(beside),
        "exec",
    )
    scope = {"show": inline.show}
    exec(code, scope)
    assert scope["a"].label != scope["b"].label


def test_derived_labels_are_the_same_in_every_process(tmp_path: Path) -> None:
    script = tmp_path / "my_app.py"
    script.write_text(
        textwrap.dedent(
            """
            from pywry.inline import show
            w = show("<p>x</p>", title="Quarterly Revenue")
            print(w.label)
            """
        )
    )
    labels = {
        subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(labels) == 1
    assert labels.pop().startswith("quarterly-revenue-")


def test_show_plotly_accepts_a_figure_and_keeps_config() -> None:
    px = pytest.importorskip("plotly.express")
    fig = px.bar(x=["Q1", "Q2", "Q3", "Q4"], y=[100, 150, 130, 180])
    widget = inline.show_plotly(fig, title="Quarterly Revenue", config={"displaylogo": False})
    record = widget.to_record()
    assert record.kind == "plotly"
    assert record.payload["config"] == {"displaylogo": False}
    assert record.payload["figure"]["data"][0]["type"] == "bar"
    page = inline.get_widget_html(widget.label)
    assert f'"dataDigest":"{widget.encoded_data().digest}"' in page
    assert '"type":"bar"' not in page  # the figure is fetched from the data URL
    assert "plotly.min." in page


def test_show_plotly_rejects_non_figures() -> None:
    with pytest.raises(TypeError, match="plotly Figure"):
        inline.show_plotly(42)


def test_show_dataframe_escapes_cells_and_handles_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"name": ["<b>x</b>", None], "value": [1.5, float("nan")]})
    widget = inline.show_dataframe(df, title="Inventory <i>")
    page = inline.get_widget_html(widget.label)
    assert "<title>Inventory &lt;i&gt;</title>" in page
    assert "&lt;b&gt;x" not in page and "<b>x" not in page  # rows come from the data URL
    assert widget.to_record().payload["table"]["rows"] == [["<b>x</b>", 1.5], [None, None]]


def test_callbacks_are_validated() -> None:
    with pytest.raises(WidgetError, match="namespace:name"):
        inline.show("<p>x</p>", callbacks={"bad": print})
    with pytest.raises(TypeError, match="callable"):
        inline.show("<p>x</p>", callbacks={"app:go": 3})  # type: ignore[dict-item]


def test_emit_before_server_starts_is_harmless() -> None:
    widget = inline.show("<p>x</p>")
    widget.emit("app:tick", {"n": 1})
    widget.alert("hello")


def test_confirm_alert_needs_a_user_reply_event() -> None:
    widget = inline.show("<p>x</p>", label="confirm-check")
    with pytest.raises(InvalidEventError, match="reply_event"):
        widget.alert("Sure?", "confirm")
    with pytest.raises(InvalidEventError, match="reserved namespace"):
        widget.alert("Sure?", "confirm", reply_event="pywry:answer")
    with pytest.raises(InvalidEventError, match="only used with type='confirm'"):
        widget.alert("Hi", reply_event="app:answer")
    widget.alert("Sure?", "confirm", reply_event="app:answer")
