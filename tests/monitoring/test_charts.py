"""Figures from plain series: units, colors, hover and the empty state."""

from apps.monitoring import charts
from tests.monitoring.conftest import plotly


def _line(name, key, ys):
    return charts.Line(name=name, key=key, x=[1_800_000_000 + 15 * i for i in range(len(ys))], y=ys)


def test_a_deployment_keeps_its_color_whatever_else_is_drawn():
    alone = charts.time_series("A", charts.PERCENT, "GPU busy", [_line("a", "ns/llama", [1])], "")
    crowd = charts.time_series(
        "B",
        charts.PERCENT,
        "GPU busy",
        [_line("x", "ns/bert", [1]), _line("y", "ns/resnet", [2]), _line("a", "ns/llama", [3])],
        "",
    )
    assert (
        plotly(alone).data[0].line.color
        == plotly(crowd).data[2].line.color
        == charts.color_for("ns/llama")
    )


def test_axes_and_hover_carry_the_unit():
    fig = charts.time_series(
        "Latency", charts.SECONDS, "request duration", [_line("p95", "k", [0.2])], ""
    )
    assert plotly(fig).layout.yaxis.title.text == "request duration (s)"
    assert plotly(fig).layout.xaxis.type == "date"
    assert "%{y:.3g} s" in plotly(fig).data[0].hovertemplate
    assert "UTC" in plotly(fig).data[0].hovertemplate


def test_times_are_sent_as_milliseconds_for_plotly():
    fig = charts.time_series("T", charts.PERCENT, "busy", [_line("a", "k", [1, 2])], "")
    assert list(plotly(fig).data[0].x) == [1_800_000_000_000, 1_800_000_015_000]


def test_percent_axes_span_0_to_100():
    fig = charts.time_series("T", charts.PERCENT, "busy", [_line("a", "k", [5])], "")
    assert tuple(plotly(fig).layout.yaxis.range) == (0, 100)


def test_a_chart_without_data_says_so_and_why():
    fig = charts.time_series(
        "GPU",
        charts.PERCENT,
        "busy",
        [_line("a", "k", [None, None])],
        "No data: x asks for no GPU.",
    )
    assert plotly(fig).data == ()
    assert plotly(fig).layout.annotations[0].text == "No data: x asks for no GPU."
    assert plotly(fig).layout.xaxis.visible is False


def test_long_empty_messages_are_wrapped():
    fig = charts.empty("T", "word " * 40)
    assert "<br>" in plotly(fig).layout.annotations[0].text


def test_bars_mark_the_highlighted_ones_and_show_a_reference():
    fig = charts.bars(
        "Quota",
        charts.GPUS,
        "GPUs allocated",
        [charts.Bar("nlp", "team/nlp", 9, highlight=True), charts.Bar("vision", "team/vision", 1)],
        "",
        reference=[8.0, None],
        reference_name="quota",
    )
    bar, quota = plotly(fig).data
    assert list(bar.marker.line.color) == ["#111827", "rgba(0,0,0,0)"]
    assert list(quota.x) == [8.0, None]
    assert plotly(fig).layout.xaxis.title.text == "GPUs allocated (GPUs)"


def test_figure_json_cannot_close_the_script_element():
    fig = charts.empty("</script><script>alert(1)</script>", "x")
    text = charts.to_json(fig)
    assert "</script>" not in text
    assert "<" not in text
