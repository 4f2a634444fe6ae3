"""The chart widget's Python API and its theme templates."""

from __future__ import annotations

import json

import pytest
from pywry import inline
from pywry.widgets import PlotlyWidget
from pywry.widgets.plotly import theme_templates, webgl_traces

go = pytest.importorskip("plotly.graph_objects")


@pytest.fixture
def chart() -> PlotlyWidget:
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"title": {"text": "A", "x": 0.5}})
    return inline.show_plotly(fig, title="Chart", config={"scrollZoom": True})


def _document(widget: PlotlyWidget) -> dict:
    return json.loads(widget.encoded_data().body)


def test_data_document_holds_figure_config_and_templates(chart) -> None:
    document = _document(chart)
    assert document["config"] == {"scrollZoom": True}
    assert document["figure"]["data"][0]["type"] == "scatter"
    assert set(document["templates"]) == {"light", "dark"}
    assert document["templates"]["dark"]["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"


def test_update_layout_merges_and_accepts_title_strings(chart) -> None:
    digest = chart.encoded_data().digest
    chart.update_layout(title="B", xaxis={"range": [0, 5]})
    chart.update_layout({"xaxis.title": "Time"})
    layout = chart.figure["layout"]
    assert layout["title"] == {"text": "B", "x": 0.5}
    assert layout["xaxis"]["range"] == [0, 5]
    assert layout["xaxis"]["title"] == {"text": "Time"}
    assert chart.encoded_data().digest != digest


def test_update_traces_and_update_figure(chart) -> None:
    chart.update_traces(marker={"color": "red"})
    assert chart.figure["data"][0]["marker"]["color"] == "red"
    with pytest.raises(IndexError, match="trace 3"):
        chart.update_traces({"opacity": 0.5}, indices=[3])
    chart.update_figure(go.Figure(go.Bar(x=["a"], y=[1])), config={"displaylogo": False})
    document = _document(chart)
    assert document["figure"]["data"][0]["type"] == "bar"
    assert document["config"] == {"displaylogo": False}
    chart.reset_zoom()  # nothing stored; harmless without a server


def test_a_rejected_update_traces_changes_no_trace() -> None:
    fig = go.Figure([go.Scatter(x=[1], y=[1]), go.Scatter(x=[2], y=[2])])
    chart = inline.show_plotly(fig, title="Two traces")
    with pytest.raises(IndexError, match="trace 5"):
        chart.update_traces({"opacity": 0.5}, indices=[0, 5])
    chart.update_layout(title="Changed")
    traces = _document(chart)["figure"]["data"]
    assert all("opacity" not in trace for trace in traces)


def test_templates_respect_a_chosen_template() -> None:
    plain = go.Figure().to_plotly_json()
    assert theme_templates(plain, None) is not None
    seaborn = go.Figure(layout={"template": "seaborn"}).to_plotly_json()
    assert theme_templates(seaborn, None) is None
    assert theme_templates(seaborn, True) is not None
    assert theme_templates(plain, False) is None


def test_webgl_figure_warns_that_pages_need_the_eval_setting(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    gl = go.Figure([go.Scattergl(x=[1], y=[2]), go.Bar(x=[1], y=[2]), go.Scatter3d(x=[1])])
    assert webgl_traces(gl.to_plotly_json()) == ["scatter3d", "scattergl"]
    with caplog.at_level("WARNING", logger="pywry.plotly"):
        inline.show_plotly(gl, title="GL")
    assert "PYWRY_SERVER__CSP_ALLOW_EVAL=true" in caplog.text
    assert "['scatter3d', 'scattergl']" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="pywry.plotly"):
        inline.show_plotly(go.Figure(go.Bar(x=[1], y=[2])), title="Plain")
    monkeypatch.setenv("PYWRY_SERVER__CSP_ALLOW_EVAL", "true")
    with caplog.at_level("WARNING", logger="pywry.plotly"):
        inline.show_plotly(gl, title="GL allowed")
    assert caplog.text == ""
