"""Chart builders, tested on the figure data they produce."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from observation import charts, qi
from tests.qi_series import subgroups


def trend(teams: int, months: int = 3) -> pd.DataFrame:
    rows = [
        {
            "team_id": t,
            "team_name": f"Team {t:02d}",
            "month": dt.date(2020 + (m - 1) // 12, (m - 1) % 12 + 1, 1),
            "meetings": 2,
            "presence_share": m / 10,
            "meaningful_share": m / 20,
        }
        for t in range(1, teams + 1)
        for m in range(1, months + 1)
    ]
    columns = ["team_id", "team_name", "month", "meetings", "presence_share", "meaningful_share"]
    return pd.DataFrame(rows, columns=columns)


def scatter(fig: go.Figure) -> list[go.Scatter]:
    return [t for t in fig.data if isinstance(t, go.Scatter)]


def test_each_team_gets_a_panel_with_presence_and_meaningful_series() -> None:
    fig = charts.involvement_trend(trend(3), target=0.8, level_label="contributing")
    assert [a.text for a in fig.layout.annotations][:3] == ["Team 01", "Team 02", "Team 03"]
    traces = scatter(fig)
    assert len(traces) == 6
    assert list(traces[0].y) == [0.1, 0.2, 0.3]
    assert list(traces[1].y) == [0.05, 0.1, 0.15]
    assert list(traces[0].customdata) == [2, 2, 2]
    assert "contributing or above" in traces[1].name


def test_series_differ_by_more_than_colour() -> None:
    presence, meaningful = scatter(charts.involvement_trend(trend(1), 0.8, "contributing"))[:2]
    assert presence.line.color != meaningful.line.color
    assert presence.line.dash != meaningful.line.dash
    assert presence.marker.symbol != meaningful.marker.symbol


def test_the_target_is_drawn_on_every_panel_on_a_shared_scale() -> None:
    fig = charts.involvement_trend(trend(4), target=0.6, level_label="contributing")
    lines = [s for s in fig.layout.shapes if s.y0 == s.y1]
    assert len(lines) == 4
    assert {s.y0 for s in lines} == {0.6}
    assert "60%" in fig.layout.title.text
    y_ranges = {tuple(fig.layout[k].range) for k in fig.layout if k.startswith("yaxis")}
    assert y_ranges == {(0, 1.05)}


def test_short_series_say_so_on_the_chart() -> None:
    title = charts.involvement_trend(trend(1, months=5), 0.8, "contributing").layout.title.text
    assert "5 monthly points or fewer: read as a description, not a signal" in title
    long = trend(1, months=12).assign(month=[dt.date(2020 + m // 12, m % 12 + 1, 1) for m in range(12)])
    assert "not a signal" not in charts.involvement_trend(long, 0.8, "contributing").layout.title.text


def test_many_teams_are_capped_at_the_small_multiple_limit() -> None:
    fig = charts.involvement_trend(trend(30), 0.8, "contributing")
    assert len(scatter(fig)) == 2 * charts.MAX_SMALL_MULTIPLES


def test_no_data_gives_an_empty_figure_that_says_so() -> None:
    fig = charts.involvement_trend(trend(0), 0.8, "contributing")
    assert scatter(fig) == []
    assert [a.text for a in fig.layout.annotations] == ["No held meetings"]
    assert "monthly points" not in fig.layout.title.text


def test_quarters_are_labelled_as_quarters_a_tick_each() -> None:
    rows = trend(3, months=9)
    quarters = rows[rows["month"].map(lambda d: d.month % 3 == 1)]  # Jan, Apr, Jul 2020
    fig = charts.involvement_trend(quarters, 0.8, "contributing", period="quarter")
    axes = [fig.layout[k] for k in fig.layout if k.startswith("xaxis")]
    assert {a.tickformat for a in axes} == {"%Y Q%q"}  # "2020 Q1", not a month
    assert {a.dtick for a in axes} == {"M3"}  # a tick every quarter
    # Half a quarter wider each side, so the first and last labels stay under their own panel.
    assert {tuple(a.range) for a in axes} == {("2019-11-16T00:00:00", "2020-08-16T00:00:00")}
    hover = scatter(fig)[0].hovertemplate
    assert hover.startswith("%{x|%Y Q%q}: ")
    assert "quarter from" not in hover


def test_a_long_run_of_quarters_is_labelled_every_second_quarter_or_every_year() -> None:
    first = dt.date(2019, 1, 1)
    assert charts.quarter_ticks(first, dt.date(2019, 7, 1), most=3) == "M3"
    assert charts.quarter_ticks(first, dt.date(2020, 4, 1), most=3) == "M6"  # 6 quarters: every second
    assert charts.quarter_ticks(first, dt.date(2021, 10, 1), most=3) == "M12"
    assert charts.quarter_ticks(first, dt.date(2021, 10, 1), most=12) == "M3"


def test_events_are_marked_on_their_own_team_and_study_wide_ones_on_every_panel() -> None:
    events = pd.DataFrame(
        {
            "team_id": [1, None],
            "event_date": [dt.date(2020, 2, 1), dt.date(2020, 3, 1)],
            "label": ["Home microsystem meetings began", "Winter pressures"],
            "category": ["home_meetings", "service_change"],
        }
    )
    fig = charts.involvement_trend(trend(2), 0.8, "contributing", events)
    verticals = [s for s in fig.layout.shapes if s.x0 == s.x1 and s.name != charts.EVENT_STEM]  # the lines
    assert sorted((s.x0[:10], s.xref) for s in verticals) == [
        ("2020-02-01", "x"),  # team 1's own event, on team 1's panel only
        ("2020-03-01", "x"),  # the study-wide event on both panels
        ("2020-03-01", "x2"),
    ]
    labels = [a.text for a in event_labels(fig)]
    assert labels == ["Home microsystem meetings began", "Winter pressures", "Winter pressures"]


def event_labels(fig: go.Figure) -> list[go.layout.Annotation]:
    return [a for a in fig.layout.annotations if a.name == charts.EVENT_NOTE]


def stem_of(fig: go.Figure, note: go.layout.Annotation) -> tuple[float, float]:
    """The px (from, to) above the top of its panel of the one stem that stands at ``note``'s date on its panel."""
    (stem,) = [
        s
        for s in fig.layout.shapes
        if s.name == charts.EVENT_STEM and (s.xref, s.x0, s.x1, s.yref) == (note.xref, note.x, note.x, note.yref)
    ]
    assert (stem.ysizemode, stem.yanchor) == ("pixel", 1)
    return stem.y0, stem.y1


def panel_of(note: go.layout.Annotation, cols: int = 3) -> tuple[float, float]:
    """The left and right edges, in px from the left of the plotting area, of the panel ``note`` is on."""
    panel = int(note.xref[1:] or 1) - 1
    width = charts.panel_width(cols)
    left = panel % cols * (width + charts.PANEL_GAP * charts.PAGE_WIDTH)
    return left, left + width


def label_box(fig: go.Figure, note: go.layout.Annotation, cols: int = 3) -> tuple[float, float, float, float]:
    """An event label's box on a page (left, right, bottom, top) in px from the left of the
    plotting area and the top of its panel: its width weighed as place_events weighs it (that
    agrees with Chromium's: test_label_widths_are_what_the_browser_draws), its rows as the chart
    stacks them."""
    axis = fig.layout[f"xaxis{note.xref[1:]}"]
    first, last = (pd.Timestamp(d) for d in axis.range)
    left, right = panel_of(note, cols)
    at = left + (pd.Timestamp(note.x) - first) / (last - first) * (right - left)
    wide = charts.label_width(html.unescape(note.text))  # as typed, not as Plotly's entities
    start = {"left": 0.0, "center": 0.5, "right": 1.0}[note.xanchor]
    bottom = note.yshift  # px above the plot area
    return at - start * wide, at + (1 - start) * wide, bottom, bottom + charts.EVENT_FONT * 1.2


DRAWN = {  # px, at 12 px in Source Sans, as Chromium drew them on the Overview at 1440 x 900
    "Winter pressures across the trust": 163.0,
    "Home microsystem meetings began": 178.9,
    "QI training for service users": 135.7,
    "Recruitment drive on the ward": 152.1,
}


def test_label_widths_are_what_the_browser_draws() -> None:
    # A label's width was guessed from its length: a quarter too wide, which cut labels that fitted
    for label, drawn in DRAWN.items():
        assert drawn <= charts.label_width(label) <= drawn * 1.08, label


BUSY = pd.DataFrame(
    {
        "team_id": [1, None, 1, 2],
        "event_date": [dt.date(2020, 5, 1), dt.date(2020, 6, 1), dt.date(2020, 7, 1), dt.date(2020, 3, 1)],
        "label": ["Home microsystem meetings began", "Winter pressures across the trust",
                  "QI training for service users", "First meeting held at a service user's home after the move"],
        "category": ["home_meetings", "service_change", "qi_training", "home_meetings"],
    }
)  # fmt: skip
"""The demo's Oak: three events a month apart late in eight months (one study-wide), whose labels,
turned up their lines, covered the data; and a long label on team 2's panel."""


def test_event_labels_are_horizontal_readable_and_above_the_data() -> None:
    # They were 10 px, turned up their line from the foot of the panel, over the data lines.
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", BUSY)
    notes = event_labels(fig)
    assert len(notes) == 6  # three on team 1's panel, two on team 2's, the study-wide one on team 3's
    for note in notes:
        assert note.textangle in (None, 0)
        assert note.font.size >= 12
        assert note.yref.endswith(" domain")
        assert note.y == 1
        assert note.yanchor == "bottom"
        assert note.yshift > 0  # raised above the plot area, joined to the panel's top by its stem
        assert stem_of(fig, note) == (0, note.yshift)
        assert not note.showarrow  # Plotly measures an arrow in the browser, one label at a time
    # the whole text and its date on hover; a long label shortened on the chart, at a word
    (long,) = [n for n in notes if n.hovertext.startswith("First meeting")]
    assert long.text.endswith("…")
    assert long.hovertext == "First meeting held at a service user's home after the move (01 Mar 2020)"
    assert len(long.text) <= charts.EVENT_LABEL_CHARS
    assert "First meeting held at a service user's home after the move".startswith(long.text[:-1])
    assert {n.hovertext for n in notes if n.xref == "x"} == {
        "Home microsystem meetings began (01 May 2020)",
        "Winter pressures across the trust (01 Jun 2020)",
        "QI training for service users (01 Jul 2020)",
    }


NEIGHBOURS = pd.DataFrame(
    {
        "team_id": [2, None, 2, 3],
        "event_date": [dt.date(2020, 5, 1), dt.date(2020, 6, 1), dt.date(2020, 7, 1), dt.date(2020, 3, 1)],
        "label": ["Home microsystem meetings began", "Winter pressures across the trust",
                  "QI training for service users", "Recruitment drive on the ward"],
        "category": ["home_meetings", "service_change", "qi_training", "recruitment"],
    }
)  # fmt: skip
"""The demo's Overview: Oak's three events in the middle panel, the study-wide one on all three.
Birch's label ran to its panel's right edge and Oak's first one into the gap from the left, and
they read as one line: "Winter pressures across the trust Home microsystem meetings began"."""

APART = 16
"""px at least between the labels of neighbouring panels, so that they never read as one line."""


def assert_labels_apart(fig: go.Figure, cols: int = 3) -> None:
    """No label leaves its panel; on one panel no two labels overlap and no stem crosses a lower
    label; the labels of neighbouring panels on one row stay APART px apart or more."""
    notes = event_labels(fig)
    boxes = [label_box(fig, note, cols) for note in notes]
    for a, (left, right, bottom, top) in zip(notes, boxes, strict=True):
        edge_left, edge_right = panel_of(a, cols)
        assert edge_left <= left, f"{a.text} leaves its panel"
        assert right <= edge_right, f"{a.text} leaves its panel"
        for b, (other_left, other_right, other_bottom, other_top) in zip(notes, boxes, strict=True):
            if a is b:
                continue
            one_row = bottom < other_top and other_bottom < top
            if a.xref != b.xref:
                if one_row:
                    apart = max(other_left - right, left - other_right)
                    assert apart >= APART, f"{a.text} and {b.text}, on neighbouring panels, {apart:.0f} px apart"
                continue
            assert not (one_row and left < other_right and other_left < right), (a.text, b.text)
            stem = other_left + (other_right - other_left) * {"left": 0.0, "center": 0.5, "right": 1.0}[b.xanchor]
            if other_bottom > top:  # b's stem comes down past a's row
                assert not left < stem < right, f"the stem of {b.text} crosses {a.text}"


def test_event_labels_overlap_neither_each_other_nor_another_stem_nor_a_neighbours_label() -> None:
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", BUSY)
    on_team_1 = [n for n in event_labels(fig) if n.xref == "x"]
    assert len({n.yshift for n in on_team_1}) == 3  # three events in three months: three rows
    assert_labels_apart(fig)
    # the demo's Overview, where Oak's labels are in the middle panel, with neighbours each side
    demo = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", NEIGHBOURS)
    assert len(event_labels(demo)) == 6
    assert_labels_apart(demo)
    # the panel titles rise over the three rows of labels, and the figure grows to hold them
    plain = charts.involvement_trend(trend(3, months=8), 0.8, "contributing")
    assert fig.layout.annotations[0].yshift == charts.EVENT_RISE + 3 * charts.EVENT_LANE
    assert fig.layout.margin.t - plain.layout.margin.t == fig.layout.height - plain.layout.height > 0


def test_a_label_is_cut_only_where_it_must_be_and_keeps_its_start() -> None:
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", NEIGHBOURS)
    shown = {n.hovertext.rpartition(" (")[0]: n.text for n in event_labels(fig)}
    # a label with room for it is whole: Birch's only one, and Oak's latest, on the top row
    assert [n.text for n in event_labels(fig) if n.xref == "x"] == ["Winter pressures across the trust"]
    assert shown["QI training for service users"] == "QI training for service users"
    for whole, text in shown.items():
        assert whole.startswith(text.removesuffix("…"))
        assert len(text) >= charts.CROWDED_CHARS - 3 or text == whole  # cut a word at a time, not to a stub
    # a label typed as one long word (an address in HTML) keeps most of it, not "<a…"
    typed = '<a href="https://example.org">click</a>'
    assert charts.short_label(typed, 20) == '<a href="https://ex…'
    assert charts.short_label("Winter pressures across the trust", 20) == "Winter pressures…"
    events = NEIGHBOURS.assign(label=NEIGHBOURS["label"].replace("Home microsystem meetings began", typed))
    (note,) = [n for n in event_labels(charts.involvement_trend(trend(3, 8), 0.8, "x", events)) if "href" in n.text]
    assert html.unescape(note.text).startswith('<a href="https://')  # drawn as typed, as text
    assert note.hovertext == '&lt;a href="https://example.org"&gt;click&lt;/a&gt; (01 May 2020)'  # whole on hover


def test_a_crowded_label_is_cut_shorter_rather_than_crossed_and_is_whole_on_hover() -> None:
    days = [dt.date(2020, 3, 1), dt.date(2020, 4, 15), dt.date(2020, 6, 1), dt.date(2020, 6, 20)]
    labels = ["Winter pressures across the trust", "Recruitment drive on the ward", "QI training for service users",
              "Home microsystem meetings began"]  # fmt: skip
    events = pd.DataFrame({"team_id": 1, "event_date": days, "label": labels, "category": "x"})
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", events)
    notes = event_labels(fig)
    cut = [n for n in notes if n.text.endswith("…")]
    assert cut  # four long labels within four months of one panel cannot all be whole
    for note in cut:
        whole = note.hovertext.rpartition(" (")[0]
        assert whole in labels
        assert len(note.text) < len(whole)
        assert whole.startswith(note.text[:-1])
    assert_labels_apart(fig)


def test_event_labels_stay_within_their_panel() -> None:
    early, late = dt.date(2020, 1, 2), dt.date(2020, 8, 1)
    events = pd.DataFrame({"team_id": [1, 1], "event_date": [early, late],
                           "label": ["Home meetings"] * 2, "category": ["x", "x"]})  # fmt: skip
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", events)
    first, last = event_labels(fig)
    assert (first.xanchor, last.xanchor) == ("left", "right")  # each reads away from the nearer edge
    assert first.yshift == last.yshift  # far enough apart for one row
    for note in (first, last):
        left, right, _, _ = label_box(fig, note)
        assert left >= 0
        assert right <= charts.panel_width(3)


def qi_panels(choice: qi.ChartChoice, months: int = 24) -> tuple[qi.TeamPanel, ...]:
    """Oak: ten meetings a month, two with presence in each month of the first half, all ten in
    the second half; home meetings began halfway."""
    rows, half = [], months // 2
    for month in range(months):
        first = dt.date(2018 + month // 12, month % 12 + 1, 1)
        for i in range(10):
            yes = int(month >= half or i < 2)
            rows.append(
                {
                    "team_id": 1, "team_name": "Oak", "meeting_date": pd.Timestamp(first + dt.timedelta(days=3 * i)),
                    "present_total": 4, "present_lived_experience": yes, "lived_experience_present": yes,
                    "meaningful": yes,
                }
            )  # fmt: skip
    frame = pd.DataFrame(rows)
    began = dt.date(2018 + half // 12, half % 12 + 1, 1)
    events = pd.DataFrame({"team_id": [1], "event_date": [pd.Timestamp(began)], "label": ["Home meetings began"],
                           "category": ["x"]})  # fmt: skip
    return qi.panels(frame, events, choice, subgroups(frame, choice.subgroup, choice.block))


def test_the_qi_chart_names_its_chart_subgroup_and_rule_set_and_marks_special_causes() -> None:
    choice = qi.ChartChoice()
    fig = charts.qi_chart(qi_panels(choice), choice, target=None)
    assert "Lived-experience presence: share of held meetings per month (n = held meetings in the month)" in (
        fig.layout.title.text
    )
    assert "p-chart · Making Data Count rules" in fig.layout.title.text
    names = [t.name for t in scatter(fig)]
    assert names[:4] == ["Each month", "Centre line", "Process limits", "Process limits"]
    (improvement,) = [t for t in scatter(fig) if t.name == "Special cause: improvement"]
    assert len(improvement.x) == 12
    assert improvement.marker.symbol == "triangle-up"
    assert [c[0] for c in improvement.customdata] == [f"{dt.date(2019, m, 1):%b} 2019" for m in range(1, 13)]
    assert "Home meetings began" in [a.text for a in fig.layout.annotations]


def test_hover_names_the_subgroup_its_count_and_n_and_its_limits() -> None:
    choice = qi.ChartChoice()
    fig = charts.qi_chart(qi_panels(choice), choice, target=None)
    each = next(t for t in scatter(fig) if t.name == "Each month")
    name, detail = each.customdata[0]
    assert name == "Jan 2018"
    assert re.match(r"2 of 10 held meetings · limits \d+%–\d+%", detail)
    assert "%{customdata[0]}" in each.hovertemplate


def test_quarters_are_labelled_as_quarters() -> None:
    choice = qi.ChartChoice(subgroup="quarter")
    fig = charts.qi_chart(qi_panels(choice), choice, target=None)
    assert list(fig.layout.xaxis.ticktext) == [f"Q{q}<br>{y}" for y in (2018, 2019) for q in (1, 2, 3, 4)]
    longer = charts.qi_chart(qi_panels(choice, months=60), choice, target=None)
    # twenty quarters: every third labelled, so that the labels never overlap
    assert list(longer.layout.xaxis.ticktext) == [f"Q{q}<br>{y}" for y, q in
                                                  [(2018, 1), (2018, 4), (2019, 3), (2020, 2), (2021, 1), (2021, 4),
                                                   (2022, 3)]]  # fmt: skip
    assert "no limits or signals where the sentence below says why" in fig.layout.title.text


def test_a_g_chart_counts_meetings_on_its_own_scale_without_a_target() -> None:
    choice = qi.ChartChoice(measure="meaningful", chart="g")
    fig = charts.qi_chart(qi_panels(choice), choice, target=0.8)
    assert fig.layout.title.text.startswith("Held meetings between meetings with meaningful involvement")
    assert fig.layout.yaxis.tickformat != ".0%"
    assert [s for s in fig.layout.shapes if s.y0 == s.y1 == 0.8] == []
    assert [t.name for t in scatter(fig)][:2] == ["Each gap", "Median"]


def test_rebasing_draws_a_centre_line_per_phase_and_says_so() -> None:
    choice = qi.ChartChoice(rebase=True, chart="xmr")
    fig = charts.qi_chart(qi_panels(choice, months=36), choice, target=None)
    centres = [t for t in scatter(fig) if t.name == "Centre line"]
    # each phase's level line, drawn by its two ends: the first and last month of the phase
    assert [list(t.y) for t in centres] == [[0.2, 0.2], [1.0, 1.0]]
    each = next(t for t in scatter(fig) if t.name == "Each month")
    assert [list(t.x) for t in centres] == [[each.x[0], each.x[17]], [each.x[18], each.x[35]]]
    assert "rebased at the team's own dated events" in fig.layout.title.text


def test_the_target_is_drawn_only_for_a_measure_that_has_one() -> None:
    with_target = qi.ChartChoice(measure="meaningful")
    fig = charts.qi_chart(qi_panels(with_target), with_target, target=0.8)
    assert [s.y0 for s in fig.layout.shapes if s.y0 == s.y1] == [0.8]
    presence = qi.ChartChoice(measure="presence")
    fig = charts.qi_chart(qi_panels(presence), presence, target=0.8)
    assert [s.y0 for s in fig.layout.shapes if s.y0 == s.y1] == []


def test_a_long_trend_labels_a_handful_of_months_not_every_other_one() -> None:
    # Five years by month ticked every second month put 30 overlapping labels under each panel.
    for months, step in ((8, "M1"), (16, "M2"), (24, "M3"), (48, "M6"), (60, "M12")):
        fig = charts.involvement_trend(trend(2, months), 0.8, "contributing")
        assert {a.dtick for a in (fig.layout.xaxis, fig.layout.xaxis2)} == {step}
        assert -(-months // int(step[1:])) <= 8


def test_markers_are_drawn_while_the_points_stay_apart() -> None:
    choice = qi.ChartChoice(measure="representation")
    few = charts.qi_chart(qi_panels(choice, charts.MOST_MARKED_POINTS // 10), choice, target=None)
    many = charts.qi_chart(qi_panels(choice, charts.MOST_MARKED_POINTS // 10 + 1), choice, target=None)
    assert [t.mode for t in scatter(few) if t.name == "Each meeting"] == ["lines+markers"]
    assert [t.mode for t in scatter(many) if t.name == "Each meeting"] == ["lines"]
    assert any(t.mode == "markers" for t in scatter(many))  # special causes keep their marks
    assert {t.mode for t in scatter(charts.involvement_trend(trend(1, 60), 0.8, "contributing"))} == {"lines+markers"}


def short_panels(choice: qi.ChartChoice) -> tuple[qi.TeamPanel, ...]:
    """Oak's eleven meetings, 0 to 10 of the 10 people present with lived experience: fewer than 12
    points, so a control chart's limits are trial limits; a run chart has none."""
    days = [pd.Timestamp(dt.date(2020, 1, 6) + dt.timedelta(days=14 * i)) for i in range(11)]
    frame = pd.DataFrame(
        {"team_id": 1, "team_name": "Oak", "meeting_date": days, "present_total": 10,
         "present_lived_experience": range(11), "lived_experience_present": 1, "meaningful": 1}
    )  # fmt: skip
    return qi.panels(frame, frame.head(0).assign(event_date=[], label=[], category=[]), choice)


def test_a_run_chart_speaks_of_its_median_and_rules_and_only_control_charts_of_trial_limits() -> None:
    # The run chart's subtitle once read "a short series" beside "no limits or signals", and its
    # hover "no limits": a run chart has a median and run rules, never limits.
    run = qi.ChartChoice(measure="representation", chart="run")
    (panel,) = short_panels(run)
    assert panel.withheld is None
    assert panel.chart is not None
    assert panel.chart.trial_limits
    fig = charts.qi_chart((panel,), run, target=None)
    subtitle = fig.layout.title.text.partition("<br>")[2]
    assert "median" in subtitle
    assert "Making Data Count rules" in subtitle
    assert "limits" not in subtitle
    assert "a short series where a phase has fewer than 12 meetings" in subtitle
    each = next(t for t in scatter(fig) if t.name == "Each meeting")
    assert not any("limits" in detail for _, detail in each.customdata)
    for kind in ("xmr", "p"):
        control = qi.ChartChoice(measure="representation", chart=kind)
        fig = charts.qi_chart(short_panels(control), control, target=None)
        assert "trial limits where a phase has fewer than 12 meetings" in fig.layout.title.text, kind


def test_a_run_chart_withheld_says_no_rules_were_tested_not_that_it_has_no_limits() -> None:
    run = qi.ChartChoice(chart="run")
    fig = charts.qi_chart(qi_panels(run, months=8), run, target=None)
    subtitle = fig.layout.title.text.partition("<br>")[2]
    assert "no run rules tested where the sentence below says why" in subtitle
    assert "limits" not in subtitle
    p_chart = qi.ChartChoice(chart="p")
    assert (
        "no limits or signals where" in charts.qi_chart(qi_panels(p_chart, months=8), p_chart, None).layout.title.text
    )


def test_the_qi_chart_lifts_its_event_labels_over_the_panel() -> None:
    choice = qi.ChartChoice()
    fig = charts.qi_chart(qi_panels(choice), choice, target=None)
    (note,) = event_labels(fig)
    assert note.text == "Home meetings began"
    assert note.font.size >= 12
    assert note.yshift > 0
    assert stem_of(fig, note) == (0, note.yshift)
    assert not note.textangle
    assert fig.layout.annotations[0].yshift == charts.EVENT_RISE + charts.EVENT_LANE


def one_meeting(day: dt.date = dt.date(2020, 2, 11)) -> pd.DataFrame:
    """Oak with a single held meeting in the chosen dates, a service user present."""
    return pd.DataFrame(
        [
            {
                "team_id": 1, "team_name": "Oak", "meeting_date": pd.Timestamp(day), "present_total": 4,
                "present_lived_experience": 1, "lived_experience_present": 1, "meaningful": 1,
            }
        ]
    )  # fmt: skip


def assert_dated_axis(axis: go.layout.XAxis, least_days: int = 28) -> None:
    """A time axis some weeks wide ticked in dates: Plotly, left to itself or given a range of
    nothing, zoomed in to a millisecond about one meeting and ticked it "23:59:59.9996"."""
    first, last = (pd.Timestamp(d) for d in axis.range)
    assert last - first >= pd.Timedelta(days=least_days), axis.range
    assert axis.tickvals or re.fullmatch(r"(%-d )?%b\n%Y|%Y Q%q", axis.tickformat or ""), axis.tickformat
    if axis.dtick == charts.WEEK:  # a tick a week, by its day, on an axis of a few weeks
        assert "%-d" in axis.tickformat


NO_EVENTS = pd.DataFrame({"team_id": [], "event_date": [], "label": [], "category": []})


def test_a_team_with_one_meeting_gets_a_qi_chart_weeks_wide_ticked_in_dates() -> None:
    frame = one_meeting()
    for choice in (
        qi.ChartChoice(),  # p-chart by month
        qi.ChartChoice(subgroup="quarter"),
        qi.ChartChoice(subgroup="block", block=4),
        qi.ChartChoice(chart="g"),
        qi.ChartChoice(measure="representation", chart="xmr"),  # a point a meeting
    ):
        panels = qi.panels(frame, NO_EVENTS, choice, subgroups(frame, choice.subgroup, choice.block))
        fig = charts.qi_chart(panels, choice, target=None)
        assert_dated_axis(fig.layout.xaxis)
        first, last = (pd.Timestamp(d) for d in fig.layout.xaxis.range)
        assert first < pd.Timestamp("2020-02-11") < last, choice  # the meeting in the middle
    # a few weeks of meetings, a point each, are ticked by the day, every week
    xmr = qi.ChartChoice(measure="representation", chart="xmr")
    fig = charts.qi_chart(qi.panels(frame, NO_EVENTS, xmr, subgroups(frame, xmr.subgroup, xmr.block)), xmr, None)
    assert fig.layout.xaxis.dtick == charts.WEEK


def test_a_time_axis_is_never_narrower_than_four_weeks() -> None:
    day = dt.date(2020, 2, 11)
    assert charts.date_span(day, day) == (pd.Timestamp("2020-01-28"), pd.Timestamp("2020-02-25"))
    axis = charts.date_axis(day, day)
    assert axis["tickformat"] == "%-d %b\n%Y"
    assert axis["dtick"] == charts.WEEK
    # a long one keeps its own range and month ticks
    long = charts.date_axis(dt.date(2019, 7, 2), dt.date(2020, 2, 27), pad_days=10)
    assert long["range"] == ["2019-06-22T00:00:00", "2020-03-08T00:00:00"]
    assert long["tickformat"] == "%b\n%Y"
    # the trend's month and quarter, the Overview's and the Team profile's, hold their one point
    for period in ("month", "quarter"):
        fig = charts.involvement_trend(trend(1, months=1), 0.8, "contributing", period=period)
        assert_dated_axis(fig.layout.xaxis, least_days=20)
        first, last = (pd.Timestamp(d) for d in fig.layout.xaxis.range)
        assert first < pd.Timestamp("2020-01-01") < last


def on_axis(fig: go.Figure, note: go.layout.Annotation) -> bool:
    """Whether ``note``'s x is within its panel's time axis: Plotly leaves out a note off its axis."""
    first, last = (pd.Timestamp(d) for d in fig.layout[f"xaxis{note.xref[1:]}"].range)
    return first <= pd.Timestamp(note.x) <= last


def test_an_event_after_the_last_point_or_before_the_first_is_on_the_axis() -> None:
    # points on the first of Jan, Feb and Mar 2020; events inside the chosen dates, past the points
    events = pd.DataFrame(
        {
            "team_id": [1, 1],
            "event_date": [dt.date(2019, 12, 5), dt.date(2020, 3, 27)],
            "label": ["Recruitment drive on the ward", "Home microsystem meetings began"],
            "category": ["x", "x"],
        }
    )
    for period in ("month", "quarter"):
        fig = charts.involvement_trend(trend(1), 0.8, "contributing", events, period)
        notes = event_labels(fig)
        assert len(notes) == 2
        assert all(on_axis(fig, note) for note in notes), period
        assert_labels_apart(fig, cols=1)
    # the QI chart: Oak's points run Jan 2018 to Dec 2019; a study-wide event a fortnight after
    choice = qi.ChartChoice(measure="presence", chart="p", subgroup="month")
    panel = qi_panels(choice)[0]
    fig = charts.qi_chart((replace(panel, events=((dt.date(2020, 1, 20), "Winter pressures"),)),), choice, None)
    (note,) = event_labels(fig)
    assert on_axis(fig, note)


def test_two_hundred_events_on_one_panel_are_placed_without_overlapping() -> None:
    start = dt.date(2019, 1, 1)
    words = ["Home", "meetings", "began", "QI", "training", "new", "lead", "carer", "peer", "worker", "moved"]
    events = [
        (start + dt.timedelta(days=(i * 37) % 700), " ".join(words[(i + k) % len(words)] for k in range(2 + i % 6)))
        for i in range(200)
    ]
    placed = charts.place_events(events, (start, start + dt.timedelta(days=700)), cols=1)
    assert len(placed) == 200  # every event is drawn: its line, and a label or a mark with its hover
    labelled = [p for p in placed if p.labelled]
    assert 5 <= len(labelled) < 200  # as many labels as have room beside each other; the rest are marks
    frame = pd.DataFrame(
        {"team_id": [1] * 200, "event_date": [d for d, _ in events], "label": [t for _, t in events], "category": "x"}
    )
    days = pd.date_range("2019-01-01", periods=24, freq="MS").date
    one = pd.DataFrame(
        {"team_id": 1, "team_name": "Oak", "month": days, "meetings": 2, "presence_share": 0.5, "meaningful_share": 0.2}
    )
    fig = charts.involvement_trend(one, 0.8, "contributing", frame)
    assert_labels_apart(fig, cols=1)
    marks = [a for a in fig.layout.annotations if a.name == charts.EVENT_MARK]
    assert len(event_labels(fig)) + len(marks) == 200
    assert all(m.hovertext and m.text == charts.EVENT_MARK_TEXT and not m.showarrow for m in marks)


def grid_of(fig: go.Figure) -> dict[str, object]:
    """make_subplots' layout as Plotly's JSON, without the default template it carries (every new
    Figure takes that anyway)."""
    layout: dict[str, object] = fig.layout.to_plotly_json()
    layout.pop("template", None)
    return layout


@pytest.mark.parametrize("rows", [1, 2, 4, 5, 12])
@pytest.mark.parametrize("cols", [1, 2, 3])
@pytest.mark.parametrize(("shared_x", "shared_y"), [(False, False), (True, False), (False, True), (True, True)])
def test_a_panel_grid_is_the_layout_make_subplots_makes(rows: int, cols: int, shared_x: bool, shared_y: bool) -> None:
    # every grid the charts draw: up to twelve panels, one to three across, the last row part full
    for titled in {1, rows * cols - 1, rows * cols} - {0}:
        titles = [f"Team {i}" for i in range(titled)]
        for across, down in ((charts.PANEL_GAP, 0.02), (0.08, 0.12), (0.2, 0.3)):
            if down * (rows - 1) >= 1:
                continue
            made = make_subplots(
                rows=rows, cols=cols, shared_xaxes=shared_x, shared_yaxes=shared_y, subplot_titles=titles,
                horizontal_spacing=across, vertical_spacing=down,
            )  # fmt: skip
            grid = charts.panel_grid(
                rows,
                cols,
                titles,
                shared_x=shared_x,
                shared_y=shared_y,
                horizontal_spacing=across,
                vertical_spacing=down,
            )
            assert grid == grid_of(made), (titled, across, down)


@pytest.mark.parametrize(("rows", "cols", "shared"), [(1, 1, False), (2, 3, True), (4, 3, False), (12, 1, True)])
def test_a_panel_grid_is_make_subplots_layout_and_set_axes_updates_as_plotly_does(
    rows: int, cols: int, shared: bool
) -> None:
    # panel_grid works out make_subplots' layout (make_subplots took 0.18 s for twelve panels) and
    # writes the titles in; set_axes stands in for update_xaxes / update_yaxes on it
    titles = [f"Team {i}<br>ward" for i in range(rows * cols)]
    spacing = {"horizontal_spacing": charts.PANEL_GAP, "vertical_spacing": 0.05 if rows > 1 else 0.0}
    made = make_subplots(rows=rows, cols=cols, shared_xaxes=shared, shared_yaxes=True, subplot_titles=titles, **spacing)
    grid = charts.panel_grid(rows, cols, titles, shared_x=shared, shared_y=True, **spacing)
    assert grid == grid_of(made)
    made.update_yaxes(title_text="People", rangemode="tozero", col=1)
    made.update_yaxes(range=[0, 1.05], tickformat=".0%")
    made.update_xaxes(range=["2020-01-01", "2020-06-01"], row=rows, col=cols)
    charts.set_axes(grid, "y", {"title": {"text": "People"}, "rangemode": "tozero"}, col=1)
    charts.set_axes(grid, "y", {"range": [0, 1.05], "tickformat": ".0%"})
    charts.set_axes(grid, "x", {"range": ["2020-01-01", "2020-06-01"]}, panel=rows * cols - 1)
    assert grid == grid_of(made)
    # a change to one panel's axis stays on it, though the same title was set on many
    made.update_yaxes(title_standoff=3, row=1, col=1)
    charts.set_axes(grid, "y", {"title": {"standoff": 3}}, panel=0)
    assert grid == grid_of(made)
    fresh = make_subplots(
        rows=rows, cols=cols, shared_xaxes=shared, shared_yaxes=True, subplot_titles=titles, **spacing
    )
    assert charts.panel_grid(rows, cols, titles, shared_x=shared, shared_y=True, **spacing) == grid_of(
        fresh
    )  # the grid kept is not the one changed


def test_a_chart_of_the_first_teams_says_how_many_there_are_as_the_app_writes_numbers() -> None:
    frame = pd.DataFrame({"team_name": [f"Team {i:04d}" for i in range(20)], "teams_in_filter": 1000})
    shown, said = charts.first_teams(frame)
    assert shown == [f"Team {i:04d}" for i in range(charts.MAX_SMALL_MULTIPLES)]
    assert "12 of 1,000 teams shown" in said  # "1,000", as every other count in the app
