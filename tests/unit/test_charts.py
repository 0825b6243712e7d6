"""Chart builders, tested on the figure data they produce."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import plotly.graph_objects as go

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
    verticals = [s for s in fig.layout.shapes if s.x0 == s.x1]
    assert sorted((s.x0[:10], s.xref) for s in verticals) == [
        ("2020-02-01", "x"),  # team 1's own event, on team 1's panel only
        ("2020-03-01", "x"),  # the study-wide event on both panels
        ("2020-03-01", "x2"),
    ]
    labels = [a.text for a in event_labels(fig)]
    assert labels == ["Home microsystem meetings began", "Winter pressures", "Winter pressures"]


def event_labels(fig: go.Figure) -> list[go.layout.Annotation]:
    return [a for a in fig.layout.annotations if a.name == charts.EVENT_NOTE]


def label_box(fig: go.Figure, note: go.layout.Annotation) -> tuple[float, float, float, float]:
    """An event label's box on a page (left, right, bottom, top) in px from the panel's left edge
    and top: its width guessed as place_events guesses it, its rows as the chart stacks them."""
    axis = fig.layout[f"xaxis{note.xref[1:]}"]
    first, last = (pd.Timestamp(d) for d in axis.range)
    panel = charts.PAGE_WIDTH / 3 - 30
    at = (pd.Timestamp(note.x) - first) / (last - first) * panel
    wide = len(note.text) * charts.EVENT_FONT * charts.CHARACTER_WIDTH
    start = {"left": 0.0, "center": 0.5, "right": 1.0}[note.xanchor]
    bottom = -note.ay  # px above the plot area
    return at - start * wide, at + (1 - start) * wide, bottom, bottom + charts.EVENT_FONT * 1.2


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
        assert note.ay < 0  # raised above the plot area: its stem ends at the panel's top
        assert note.showarrow
        assert note.arrowhead == 0
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


def test_event_labels_overlap_neither_each_other_nor_another_stem() -> None:
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", BUSY)
    on_team_1 = [n for n in event_labels(fig) if n.xref == "x"]
    assert len({n.ay for n in on_team_1}) == 3  # three events in three months: three rows
    for a in on_team_1:
        left, right, bottom, top = label_box(fig, a)
        for b in on_team_1:
            if a is b:
                continue
            other_left, other_right, other_bottom, other_top = label_box(fig, b)
            one_row = bottom < other_top and other_bottom < top
            assert not (one_row and left < other_right and other_left < right), (a.text, b.text)
            stem = other_left + (other_right - other_left) * {"left": 0.0, "center": 0.5, "right": 1.0}[b.xanchor]
            if other_bottom > top:  # b's stem comes down past a's row
                assert not left < stem < right, f"the stem of {b.text} crosses {a.text}"
            # none can be placed without leaving the panel a little: the least way out is taken
            panel = charts.PAGE_WIDTH / 3 - 30
            assert -panel / 4 < left
            assert right < panel * 5 / 4
    # the panel titles rise over the three rows of labels, and the figure grows to hold them
    plain = charts.involvement_trend(trend(3, months=8), 0.8, "contributing")
    assert fig.layout.annotations[0].yshift == charts.EVENT_RISE + 3 * charts.EVENT_LANE
    assert fig.layout.margin.t - plain.layout.margin.t == fig.layout.height - plain.layout.height > 0


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
        assert len(note.text) <= charts.CROWDED_CHARS
        whole = note.hovertext.rpartition(" (")[0]
        assert whole in labels
        assert whole.startswith(note.text[:-1])
    for a in notes:
        left, right, bottom, top = label_box(fig, a)
        for b in notes:
            if a is b:
                continue
            other_left, other_right, other_bottom, other_top = label_box(fig, b)
            assert not (bottom < other_top and other_bottom < top and left < other_right and other_left < right)


def test_event_labels_stay_within_their_panel() -> None:
    early, late = dt.date(2020, 1, 2), dt.date(2020, 8, 1)
    events = pd.DataFrame({"team_id": [1, 1], "event_date": [early, late],
                           "label": ["Home meetings"] * 2, "category": ["x", "x"]})  # fmt: skip
    fig = charts.involvement_trend(trend(3, months=8), 0.8, "contributing", events)
    first, last = event_labels(fig)
    assert (first.xanchor, last.xanchor) == ("left", "right")  # each reads away from the nearer edge
    assert first.ay == last.ay  # far enough apart for one row
    for note in (first, last):
        left, right, _, _ = label_box(fig, note)
        assert left >= 0
        assert right <= charts.PAGE_WIDTH / 3 - 30


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
    assert note.ay < 0
    assert not note.textangle
    assert fig.layout.annotations[0].yshift == charts.EVENT_RISE + charts.EVENT_LANE
