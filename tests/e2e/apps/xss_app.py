"""Hostile strings in every user string a page shows, for the browser XSS tests.

Each payload, if it ran as markup, would set ``window.__xss`` to its tag; the tests
check that none did and that each shows as the literal text. Widgets:

- ``xss-grid``: payloads in column names, the index name, cell values and an editable
  categorical column's categories (the list editor); ``app:columns`` retitles a
  column and ``app:data`` replaces the data with payload columns.
- ``xss-multi``: MultiIndex columns and a MultiIndex index whose level names are payloads.
- ``xss-records``: a list of dicts whose keys are payloads.
- ``xss-board``: toolbar labels, option texts, tooltips, a Div and a ticker; ``app:poke``
  relabels and re-options components and shows a toast, all with payloads.
- ``xss-chart``: a payload chart title and a config that asks for every cloud button;
  ``app:refig`` sends a new figure with that config again.
"""

import os

os.environ.setdefault("PYWRY_SERVER__PORT", "8080")

import pandas as pd
import plotly.graph_objects as go
from pywry.inline import deploy, get_server_app, show, show_dataframe, show_plotly
from pywry.toolbar import (
    Button,
    Checkbox,
    Div,
    Marquee,
    Option,
    RadioGroup,
    Select,
    TabGroup,
    TextInput,
    TickerItem,
    Toolbar,
)
from xss_payloads import CATEGORIES, img, script, svg

app = get_server_app()


grid_frame = pd.DataFrame(
    {
        img("column"): [img("cell"), "plain"],
        script("column"): [1, 2],
        "kind": pd.Categorical([CATEGORIES[0], CATEGORIES[1]], categories=CATEGORIES),
    },
    index=pd.Index(["a", "b"], name=svg("index")),
)


def on_columns(data, event_type, label):
    grid.update_columns({"kind": {"title": img("update-columns")}})


def on_data(data, event_type, label):
    grid.update_data(pd.DataFrame({img("update-data"): [1], script("update-data"): ["x"]}))


grid = show_dataframe(
    grid_frame,
    title="XSS grid",
    label="xss-grid",
    editable=["kind"],
    callbacks={"app:columns": on_columns, "app:data": on_data},
)

multi = show_dataframe(
    pd.DataFrame(
        [[1, 2], [3, 4]],
        columns=pd.MultiIndex.from_tuples([(img("level0"), svg("level1")), (img("level0"), "q2")]),
        index=pd.MultiIndex.from_tuples(
            [("x", 1), ("y", 2)], names=[img("index-level0"), script("index-level1")]
        ),
    ),
    title="XSS multi",
    label="xss-multi",
)

records = show_dataframe(
    [{img("record-key"): 1, script("record-key"): "v"}, {img("record-key"): 2}],
    title="XSS records",
    label="xss-records",
)


def on_poke(data, event_type, label):
    board.set_toolbar_value(
        "pick", label=img("set-label"), options=[{"label": img("set-option"), "value": "s"}]
    )
    board.set_toolbar_value("greet", label=script("set-button-label"))
    board.set_toolbar_value("note", "x", label=svg("set-div"))
    board.set_toolbar_value("note", img("set-div-text"))
    board.set_toolbar_value("tick", img("set-ticker"), label=script("set-ticker-label"))
    board.alert(img("alert-message"), "warning", title=script("alert-title"), duration_ms=60000)


board = show(
    "<p id='board'>board</p>",
    title=img("page-title"),
    label="xss-board",
    toolbars=[
        Toolbar(
            position="top",
            label=img("toolbar-label"),
            items=[
                Select(
                    component_id="pick",
                    event="app:pick",
                    label=img("select-label"),
                    searchable=True,
                    description=svg("select-tooltip"),
                    options=[
                        Option(label=img("option"), value=svg("option-value")),
                        Option(label="b", value="b"),
                    ],
                ),
                RadioGroup(
                    event="app:radio",
                    label=script("radio-label"),
                    options=[Option(label=img("radio-option"), value="r")],
                ),
                TabGroup(event="app:tab", options=[Option(label=script("tab"), value="t")]),
                Button(component_id="greet", event="app:poke", label=img("button")),
                Checkbox(event="app:check", label=svg("checkbox")),
                TextInput(
                    event="app:text",
                    label=img("text-label"),
                    value=svg("text-value"),
                    placeholder=img("placeholder"),
                ),
            ],
        ),
        Toolbar(
            position="bottom",
            items=[
                Div(component_id="note", content=img("div-content"), label=svg("div-label")),
                Marquee(
                    items=[
                        TickerItem(
                            component_id="tick",
                            label=img("ticker-label"),
                            value=script("ticker-value"),
                        )
                    ]
                ),
            ],
        ),
    ],
    callbacks={"app:poke": on_poke},
)

HOSTILE_CONFIG = {
    "displayModeBar": True,
    "showSendToCloud": True,
    "showEditInChartStudio": True,
    "showLink": True,
    "sendData": True,
    "linkText": "Send data away",
    "plotlyServerURL": "https://evil.example/upload",
    "modeBarButtonsToAdd": ["sendChartToCloud", "editInChartStudio", "sendDataToCloud"],
}


def figure(title):
    return go.Figure(go.Bar(x=["a", "b", "c"], y=[3, 1, 2]), layout={"title": {"text": title}})


def on_refig(data, event_type, label):
    chart.update_figure(figure("Second"), config=HOSTILE_CONFIG)


chart = show_plotly(
    figure(img("chart-title")),
    title="XSS chart",
    label="xss-chart",
    config=HOSTILE_CONFIG,
    callbacks={"app:refig": on_refig},
)


if __name__ == "__main__":
    deploy()
