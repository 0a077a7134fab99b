"""The fleet heatmap's rows: the busiest ones, and what it says of the others."""

from apps.monitoring import charts
from apps.monitoring.fleet import busiest_rows, more_rows_note
from tests.monitoring.conftest import plotly


def _row(label):
    return charts.Row(label, [1.0])


def test_the_busiest_rows_come_first_and_ties_go_by_label():
    rows = [(10.0, _row("b")), (90.0, _row("z")), (10.0, _row("a")), (50.0, _row("m"))]
    assert [row.label for row in busiest_rows(rows, 3)] == ["z", "m", "a"]


def test_fewer_rows_than_the_limit_are_all_shown():
    assert [row.label for row in busiest_rows([(1.0, _row("a"))], 50)] == ["a"]


def test_the_note_counts_the_deployments_left_out():
    note = more_rows_note(50, 4_950, "1h")
    assert note.startswith("The busiest 50 deployments over the last 1h; 4,950 more deployments")
    assert "filter the deployments list by team or environment" in note
    assert "1 more deployment holds GPUs" in more_rows_note(50, 1, "1h")


def test_no_note_when_nothing_is_left_out():
    assert more_rows_note(4, 0, "1h") == ""


def test_the_heatmap_writes_its_note_above_the_rows():
    fig = charts.heatmap(
        "GPU", charts.PERCENT, "busy", [0, 60], [charts.Row("ns/a", [1, 2])], "", footnote="more"
    )
    (note,) = plotly(fig).layout.annotations
    assert note.text == "more"
    assert plotly(fig).layout.margin.t > 40
