"""The four views' figures, tested on their data: what is drawn, how it is marked, what a click carries."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go
import pytest

from observation import charts, db, meetings, notes, recruitment, theme_charts, view_charts
from observation.demo import DemoSpec, build_demo
from observation.filters import StudyFilter
from observation.notes import NO_TEAM

ALL = StudyFilter()


def traces(fig: go.Figure, name: str) -> list[go.Scatter | go.Bar]:
    return [t for t in fig.data if t.name == name]


def test_presence_bars_split_service_users_and_carers_by_pattern_and_carry_meeting_ids(
    small: duckdb.DuckDBPyConnection,
) -> None:
    fig = view_charts.presence_by_meeting(meetings.meetings(small, ALL, "contributing"))
    su = traces(fig, "Service users")
    carers = traces(fig, "Carers")
    assert len(su) == 2  # one panel per team
    assert su[0].marker.pattern.shape != carers[0].marker.pattern.shape
    assert list(su[0].customdata) == [1, 2]  # Alpha's held meetings with a service user or carer present
    # m4 (Alpha) and m5 (Beta) were held with staff alone: a mark of their own, not an empty bar
    assert [list(t.customdata) for t in traces(fig, "No service user or carer present")] == [[4], [5]]
    (star,) = [t for t in traces(fig, "Meaningful involvement") if len(t.x)]
    assert list(star.customdata) == [2]
    assert star.marker.symbol == "star"
    not_held = traces(fig, "Not held")
    assert [list(t.customdata) for t in not_held] == [[3], [7]]
    # m8 was held but nobody was recorded present: marked apart, not drawn as 0% lived experience
    assert [list(t.customdata) for t in traces(fig, "Held, no register")] == [[], [8]]


def held_without_lived_experience(con: duckdb.DuckDBPyConnection) -> dict[str, list[int]]:
    """Per team, the held meetings where someone was recorded present (an observer watching does
    not count) and none of them was a service user or carer: counted from the attendance rows, not
    from meeting_facts, which the chart reads."""
    rows = con.execute(
        """
        select t.name, m.id
        from meetings as m
        join teams as t on t.id = m.team_id
        join attendance as a on a.meeting_id = m.id and a.status = 'present'
        join participants as p on p.id = a.participant_id
        join role_categories as r on r.code = p.role
        where m.status = 'held'
        group by t.name, m.id
        having count(*) filter (where p.role <> 'observer') > 0 and not bool_or(r.lived_experience)
        order by t.name, m.id
        """
    ).fetchall()
    found: dict[str, list[int]] = {}
    for team, meeting in rows:
        found.setdefault(team, []).append(meeting)
    return found


def test_held_meetings_without_lived_experience_are_marked_not_left_empty(demo: duckdb.DuckDBPyConnection) -> None:
    # A bar of 0% draws nothing: Birch's meetings with no service user or carer looked like weeks
    # without a meeting, on a page named "Presence and absence".
    rows = meetings.meetings(demo, ALL, "contributing")
    fig = view_charts.presence_by_meeting(rows)
    marks = traces(fig, "No service user or carer present")
    teams = [str(n) for n in dict.fromkeys(rows["team_name"])]
    assert len(marks) == len(teams)  # one trace per team's panel
    expected = held_without_lived_experience(demo)
    assert sum(len(ids) for ids in expected.values()) > 10  # the demo has plenty: the test can fail
    for team, mark in zip(teams, marks, strict=True):
        assert sorted(mark.customdata) == expected.get(team, []), team  # a click opens that meeting
        assert set(mark.y) == {0}  # on the team's baseline, where the bar would be
        assert mark.xaxis == traces(fig, "Service users")[teams.index(team)].xaxis
    # a mark of its own: not the cross of a meeting not held, nor the ring of one without a register
    (first, *_) = marks
    symbols = {t.marker.symbol for t in [*traces(fig, "Not held"), *traces(fig, "Held, no register")]}
    assert first.marker.symbol == "diamond-open"
    assert first.marker.symbol not in symbols
    assert first.showlegend  # named in the legend once
    assert [t.showlegend for t in marks].count(True) == 1
    assert "no service user or carer present" in first.hovertemplate
    assert "no service user or carer present" in fig.layout.title.text
    assert first.cliponaxis is False  # drawn whole on the axis, not cut in half by it


def test_a_legend_entry_comes_from_the_first_panel_that_draws_it(small: duckdb.DuckDBPyConnection) -> None:
    fig = view_charts.presence_by_meeting(meetings.meetings(small, ALL, "contributing"))
    # m8 (Beta, the second panel) is the only meeting held without a register: still in the legend
    assert [t.showlegend for t in traces(fig, "Held, no register")] == [False, True]


def test_the_matrix_marks_every_cell_and_a_click_carries_the_meeting(small: duckdb.DuckDBPyConnection) -> None:
    fig = view_charts.attendance_matrix(meetings.attendance_matrix(small, ALL, 1, "person"))
    heat, cells = fig.data
    assert list(heat.text[0]) == ["●", "●", "✕", "A"]  # A-SU1: present, present, not held, apologies
    assert list(heat.text[1]) == ["○", "●", "✕", "·"]  # A-CA1: absent, present, not held, not expected
    assert list(cells.customdata[0]) == [1, "present"]
    assert cells.marker.opacity == 0  # invisible, but clickable


def test_a_matrix_too_wide_to_mark_each_cell_is_coloured_and_its_colours_named() -> None:
    # A team's five years of meetings: the marks were cut to specks in columns 5 px wide
    def matrix(meetings_held: int) -> pd.DataFrame:
        days = pd.date_range("2020-01-06", periods=meetings_held, freq="14D")
        return pd.DataFrame(
            {"row_label": "Service user", "meeting_date": days, "cell": ["present", "absent"] * (meetings_held // 2),
             "meeting_id": range(meetings_held), "lived_experience": True}
        )  # fmt: skip

    few, many = (view_charts.attendance_matrix(matrix(n)) for n in (40, 130))
    assert few.data[0].text is not None
    assert few.data[0].texttemplate == "%{text}"
    assert "● present · A apologies · ○ absent · · not expected · ✕ not held" in few.layout.title.text
    assert many.data[0].text is None
    assert many.data[0].texttemplate is None
    assert "blue present · orange apologies · red absent · blank not expected · grey not held" in many.layout.title.text
    assert [list(c) for c in many.data[1].customdata[:2]] == [
        [0, "present"],
        [1, "absent (invited, did not come)"],
    ]  # hover says
    # pointing at a cell names that cell: a cell's clickable marker is no wider than half a column
    # (22 px markers over 5 px columns all counted as under the pointer, and Plotly took the last),
    # and the axis spans the cells alone (the markers widened it, narrowing every column)
    plotted = charts.PAGE_WIDTH + 80 - 160 - 20  # the figure's width on the page, less its margins
    assert 1 <= many.data[1].marker.size <= plotted / 130 / 2
    assert plotted / 40 / 2 - 1 <= few.data[1].marker.size <= plotted / 40 / 2
    assert tuple(many.layout.xaxis.range) == (-0.5, 129.5)
    none = view_charts.attendance_matrix(matrix(0))  # a team with no meeting in the chosen dates
    assert len(none.data[1].x) == 0


def test_the_funnel_carries_team_and_stage_and_sets_drop_outs_apart(small: duckdb.DuckDBPyConnection) -> None:
    fig = theme_charts.funnel(recruitment.funnel(small, ALL))
    stages, drop_outs = traces(fig, "Recruitment stage"), traces(fig, "Declined or withdrew")
    # Beta: B-SU1 was present at m6, one of Beta's last three recorded meetings, so is still
    # attending under definitions.FUNNEL (it was 0 when the funnel read recorded events)
    assert list(stages[1].y) == [2, 2, 1, 1, 1]
    assert [list(c) for c in drop_outs[1].customdata] == [[2, "declined"], [2, "withdrew"]]
    assert drop_outs[0].marker.pattern.shape == "x"
    # room under the last row for the stages' names as Plotly tilts them: with less, Plotly measured
    # them and drew the whole figure again
    longest = max(charts.label_width(recruitment.STAGE_LABELS[s], 12) for s in recruitment.STAGE_LABELS)
    assert fig.layout.margin.b >= longest / 2 + view_charts.AXIS_ROOM


def test_the_funnel_of_one_team_is_not_titled_per_team(small: duckdb.DuckDBPyConnection) -> None:
    stages = recruitment.funnel(small, ALL)
    assert theme_charts.funnel(stages).layout.title.text.startswith("Recruitment funnel per team<br>")
    # a team profile's funnel: its one panel names the team
    one = theme_charts.funnel(stages[stages["team_name"] == "Beta"])
    assert one.layout.title.text.startswith("Recruitment funnel<br>")
    assert [a.text for a in one.layout.annotations] == ["Beta"]


def test_tension_lines_differ_by_setting_in_marker_as_well_as_colour(small: duckdb.DuckDBPyConnection) -> None:
    fig = theme_charts.tension_over_time(recruitment.tension_by_month(small, ALL))
    alpha, beta = fig.data
    assert (alpha.name, beta.name) == ("Alpha (community)", "Beta (inpatient)")
    assert alpha.line.dash != beta.line.dash
    assert (alpha.marker.symbol, beta.marker.symbol) == ("square", "circle")
    assert "● inpatient · ■ community" in fig.layout.title.text
    assert list(beta.y) == [1.0, 0.0, 0.0]
    assert list(beta.customdata[0]) == [2, "2020-01-01", 1]


def looks(fig: go.Figure) -> list[tuple[str, str]]:
    return [(t.line.color, t.line.dash) for t in fig.data]


def test_no_two_teams_share_a_colour_and_a_dash_in_the_tension_charts(demo: duckdb.DuckDBPyConnection) -> None:
    # Birch and Oak, both community teams, were drawn alike: the lines were styled by setting alone.
    by_month = recruitment.tension_by_month(demo, ALL, "both")
    notes_chart, interviews_chart = (
        theme_charts.tension_over_time(by_month),
        theme_charts.tension_in_interviews(by_month),
    )
    for fig in (notes_chart, interviews_chart):
        assert len(fig.data) >= 3
        assert len(set(looks(fig))) == len(fig.data), looks(fig)
    birch, oak = (t for t in notes_chart.data if t.name.startswith(("Birch", "Oak")))
    assert (birch.line.color, birch.line.dash) != (oak.line.color, oak.line.dash)
    assert birch.marker.symbol == oak.marker.symbol  # both community: the setting still reads the same
    # a team keeps its look from one chart to the other, and interviews with no team are grey
    assert (
        dict(zip((t.name for t in notes_chart.data), looks(notes_chart), strict=True)).items()
        <= dict(zip((t.name for t in interviews_chart.data), looks(interviews_chart), strict=True)).items()
    )


def test_team_styles_stay_apart_long_past_the_teams_a_chart_draws() -> None:
    names = [f"Team {i}" for i in range(28)]
    styles = theme_charts.team_styles([*names, NO_TEAM])
    assert len(set(styles.values())) == 29
    assert styles[NO_TEAM][0] not in theme_charts.TEAM_COLOURS
    for a, b in itertools.pairwise(names):  # neighbours in the legend differ in both
        assert styles[a][0] != styles[b][0]
        assert styles[a][1] != styles[b][1]
    # the interviews' chart leaves out a team the notes' chart draws: the others keep their looks
    in_notes, in_interviews = (
        theme_charts.team_styles(names[:5], names[:6]),
        theme_charts.team_styles(names[1:6], names[:6]),
    )
    assert list(in_interviews) == names[1:6]
    assert {n: in_notes[n] for n in names[1:5]} == {n: in_interviews[n] for n in names[1:5]}


def test_the_code_by_team_cells_carry_code_team_and_count(small: duckdb.DuckDBPyConnection) -> None:
    fig = theme_charts.code_team_heatmap(notes.code_team_matrix(small, ALL))
    heat, cells = fig.data
    assert list(heat.x) == ["Alpha", "Beta"]
    # Service user absent: 1 note in Alpha, none in Beta (an empty cell still names its code and team),
    # then the count by source: notes, interview transcripts
    assert [list(c) for c in cells.customdata][:2] == [[5, 1, 1, 1, 0], [5, 2, 0, 0, 0]]


def test_codes_together_is_symmetric(small: duckdb.DuckDBPyConnection) -> None:
    fig = theme_charts.cooccurrence_heatmap(notes.cooccurrence(small, ALL))
    heat, cells = fig.data
    assert heat.z[0][1] == heat.z[1][0] == 2
    assert list(cells.customdata[1]) == [3, 2, 2, 2, 0]  # a click carries both codes, the count, by source


def test_the_swimlane_shows_only_people_with_lived_experience(small: duckdb.DuckDBPyConnection) -> None:
    fig = view_charts.swimlane(meetings.attendance_matrix(small, ALL, 1, "person"))
    people = {y for t in fig.data for y in t.y}
    assert people == {"A-SU1 (Service user)", "A-CA1 (Carer)"}
    drawn = [t.name for t in fig.data]
    assert len(drawn) > 1
    assert drawn[-1] == "present"  # drawn over the rings of meetings missed, where five years crowd them
    assert min(fig.data, key=lambda t: t.legendrank).name == "present"  # and first in the legend


def test_the_swimlane_draws_smaller_marks_told_apart_by_shape_where_meetings_crowd(
    small: duckdb.DuckDBPyConnection,
) -> None:
    matrix = meetings.attendance_matrix(small, ALL, 1, "person")
    roomy = view_charts.swimlane(matrix)
    assert {(t.marker.size, t.mode, t.marker.symbol) for t in roomy.data} == {(18, "markers+text", "circle")}
    # five years of fortnightly meetings, as a national study's team: 18 px marks 3 px apart in a
    # narrow window, each on the last; smaller marks then, apologies and absence apart in shape
    fortnights = pd.Series(pd.date_range("2020-01-01", periods=130, freq="14D"))
    width = charts.NARROWEST - view_charts.SWIMLANE_LEFT - 20
    gap = 14 / ((fortnights.iloc[-1] - fortnights.iloc[0]).days) * width
    assert view_charts.swim_mark(fortnights, width) == view_charts.SMALLEST_MARK > gap
    assert view_charts.swim_mark(fortnights[:20], width) == int(14 / (19 * 14) * width)  # between the two
    assert view_charts.swim_mark(fortnights[:5], width) == view_charts.SWIM_MARK
    cells = ["present", "apologies", "absent"] * 44
    crowded = pd.DataFrame({"meeting_date": fortnights, "meeting_id": range(130), "cell": cells[:130],
                            "row_label": "SU-01 (Service user)", "lived_experience": True})  # fmt: skip
    dense = view_charts.swimlane(crowded)
    marks = {t.name: t.marker for t in dense.data}
    assert all(t.mode == "markers" and t.text is None for t in dense.data)  # no letter in a small mark
    assert len({m.symbol for m in marks.values()}) == len(marks)
    assert all(m.size < view_charts.SWIM_MARK for m in marks.values())
    assert all(m.color != "white" for m in marks.values())  # an open shape is drawn in its colour: not white
    assert all(t.cliponaxis is False for t in (*roomy.data, *dense.data))  # the first and last whole


def test_a_panel_title_of_three_lines_gets_the_room_of_its_third() -> None:
    # "Community Mental / Health Team – / Older Adults (East)" ran over the chart's own title
    long = "Community Mental Health Team – Older Adults (East)"
    short, _ = view_charts.grid(["Oak", "Ash", "Elm", "Yew"])
    tall, _ = view_charts.grid([long, "Ash", "Elm", "Yew"])
    assert view_charts.wrap(long, 3).count("<br>") == 2
    line = view_charts.PANEL_TITLE_LINE
    # Plotly keeps the chart's title on the middle of the top margin: a line more takes two of it
    assert tall["margin"]["t"] - short["margin"]["t"] == 2 * line
    assert tall["height"] - short["height"] == 2 * line + line  # and one between the two rows of panels

    def gap(layout: dict[str, Any]) -> float:  # px between the rows, from the y domains
        return (layout["yaxis"]["domain"][0] - layout["yaxis4"]["domain"][1]) * (
            layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        )

    assert gap(tall) - gap(short) == pytest.approx(line)


def test_long_panel_titles_break_to_fit_their_panel_in_a_narrow_window() -> None:
    name = "Community Mental Health Team – Older Adults (East)"
    for cols, lines in ((1, 1), (2, 2), (3, 3)):
        wrapped = view_charts.wrap(name, cols)
        assert wrapped.replace("<br>", " ") == name  # every word, in order
        assert len(wrapped.split("<br>")) == lines
        room = charts.panel_width(cols, charts.NARROWEST - 80)  # a grid's margins: 60 px left, 20 right
        assert all(charts.label_width(line, 16) - charts.LABEL_PAD <= room for line in wrapped.split("<br>"))
    # two teams' names in a 1,024 px window: at 24 characters a line they ran together there
    assert view_charts.wrap("Oak community brain-injury team", 3) == "Oak community<br>brain-injury team"
    assert view_charts.wrap("Birch community brain-injury team", 2) == "Birch community<br>brain-injury team"  # even
    assert view_charts.wrap("Oak", 3) == "Oak"
    assert view_charts.wrap("A&E <liaison>", 3) == "A&amp;E &lt;liaison&gt;"  # as typed, measured as shown


def test_charts_of_many_teams_draw_a_readable_few_and_say_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 13 teams once crashed the Presence page: Plotly refused the gap between 13 rows of panels.
    build_demo(tmp_path / "many.duckdb", DemoSpec(teams=16, months=12))
    monkeypatch.setattr(theme_charts, "MOST_HEATMAP_TEAMS", 5)
    with db.connect(tmp_path / "many.duckdb", read_only=True) as con:
        panels = (
            view_charts.presence_by_meeting(meetings.meetings(con, ALL, "contributing")),
            view_charts.attendance_by_role(meetings.attendance_by_role(con, ALL, "month")),
            theme_charts.funnel(recruitment.funnel(con, ALL)),
        )
        tensions = theme_charts.tension_over_time(recruitment.tension_by_month(con, ALL))
        matrix = notes.code_team_matrix(con, ALL)
    for fig in panels:
        assert len({trace.xaxis for trace in fig.data}) == charts.MAX_SMALL_MULTIPLES == 12
        assert "12 of 16 teams shown: choose teams in the sidebar" in fig.layout.title.text
    assert len(tensions.data) == 12
    assert len(set(looks(tensions))) == 12  # more teams than colours, and still none drawn alike
    assert "the 12 teams with the most tension notes, of 16" in tensions.layout.title.text
    heatmap = theme_charts.code_team_heatmap(matrix)
    totals = matrix.groupby("team_name")["notes"].sum()
    busiest = sorted(totals.index, key=lambda name: (-totals[name], name))  # most notes; a tie goes by name
    assert set(heatmap.data[0].x) == set(busiest[:5])
    assert f"the 5 teams with the most coded notes, of {len(busiest)}" in heatmap.layout.title.text


FEBRUARY = StudyFilter(start=dt.date(2020, 2, 1), end=dt.date(2020, 2, 20))
"""Dates typed in the sidebar that hold one meeting of each of the demo's teams."""


def time_axes(fig: go.Figure) -> list[go.layout.XAxis]:
    return [fig.layout[name] for name in fig.layout if re.fullmatch(r"xaxis\d*", name) and fig.layout[name].range]


def test_a_team_with_one_meeting_in_the_chosen_dates_gets_weeks_ticked_in_dates(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    # Plotly zoomed in to a millisecond either side of the one meeting, and ticked the Presence
    # page's axes "23:59:59.9996"; its lone bar was drawn a millisecond wide
    rows = meetings.meetings(demo, FEBRUARY, "contributing")
    assert set(rows.groupby("team_name")["meeting_date"].nunique()) == {1}  # the case
    by_role = meetings.attendance_by_role(demo, FEBRUARY, "meeting")
    figures = {
        "presence": view_charts.presence_by_meeting(rows),
        "attendance": view_charts.attendance_by_role(by_role),
        "swimlane": view_charts.swimlane(meetings.attendance_matrix(demo, FEBRUARY, 1, "person")),
    }
    for name, fig in figures.items():
        axes = time_axes(fig)
        assert len(axes) == (1 if name == "swimlane" else 3), name  # every panel's
        for axis in axes:
            first, last = (pd.Timestamp(d) for d in axis.range)
            assert last - first >= pd.Timedelta(days=28), (name, axis.range)
            assert axis.ticktext[0] == "3 Feb<br>2020", name  # ticked by day, not by the second
    for fig in (figures["presence"], figures["attendance"]):
        bars = [t for t in fig.data if isinstance(t, go.Bar) and len(t.x)]
        assert bars
        assert all(t.width == view_charts.LONE_BAR >= 24 * 3600 * 1000 for t in bars)  # a day or more wide
    # a team's panel over a longer time: Plotly's bar widths, as before
    everything = view_charts.presence_by_meeting(meetings.meetings(demo, ALL, "contributing"))
    assert {t.width for t in everything.data if isinstance(t, go.Bar)} == {None}


def test_tick_labels_name_the_month_and_the_year_where_it_changes() -> None:
    months = pd.date_range("2019-11-01", periods=15, freq="MS")
    assert view_charts.tick_labels(months, by_day=False) == [
        f"{t:%b}<br>{t.year}" if i == 0 or t.month == 1 else f"{t:%b}" for i, t in enumerate(months)
    ]
    assert view_charts.tick_labels([pd.Timestamp("2020-02-03")], by_day=True) == ["3 Feb<br>2020"]


def tick_room(axis: go.layout.XAxis, width: float) -> list[tuple[float, float]]:
    """Each tick label's left and right edge, in px from the panel's left edge, at TICK_FONT."""
    start, end = (pd.Timestamp(d) for d in axis.range)
    per_px = (end - start) / width
    edges = []
    for value, label in zip(axis.tickvals, axis.ticktext, strict=True):
        middle = (pd.Timestamp(value) - start) / per_px
        half = view_charts.tick_width(label) / 2
        edges.append((middle - half, middle + half))
    return edges


@pytest.mark.parametrize("period", ["meeting", "month"])
def test_tick_labels_stay_inside_their_panel_and_apart(demo: duckdb.DuckDBPyConnection, period: str) -> None:
    # Plotly ticked each panel to its edge: "Mar 2020Jul 2019" ran two panels' labels together,
    # and Oak's first tick fell outside its range, unlabelled
    figures = {
        "attendance": (view_charts.attendance_by_role(meetings.attendance_by_role(demo, ALL, period)), 3),
        "presence": (view_charts.presence_by_meeting(meetings.meetings(demo, ALL, "contributing")), 1),
    }
    for name, (fig, cols) in figures.items():
        axes = time_axes(fig)
        assert len(axes) == 3, name  # every panel's axis is ticked
        for axis in axes:
            edges = tick_room(axis, charts.panel_width(cols))
            assert len(edges) >= 3, (name, axis.ticktext)
            assert edges[0][0] >= 0, (name, axis.ticktext)  # inside the panel, never in the gap
            assert edges[-1][1] <= charts.panel_width(cols), (name, axis.ticktext)
            for (_, right), (left, _) in itertools.pairwise(edges):
                assert left - right >= charts.LABEL_GAP, (name, axis.ticktext)
            first = pd.Timestamp(axis.tickvals[0])
            assert first - pd.Timestamp(axis.range[0]) < pd.Timedelta(days=62), name  # a tick near its start
            assert "<br>20" in axis.ticktext[0], name  # with its year


def test_a_long_narrow_axis_is_ticked_sparsely_and_a_short_one_by_day() -> None:
    years = view_charts.time_ticks(pd.Series(pd.to_datetime(["2016-01-04", "2023-12-04"])), charts.panel_width(3))
    assert 2 <= len(years.ticks) <= 5
    week = view_charts.time_ticks(pd.Series(pd.to_datetime(["2020-02-12"])), charts.panel_width(3))
    assert week.end - week.start >= pd.Timedelta(days=28)
    assert all(t.day_of_week == 0 for t in week.ticks)  # Mondays
    monthly = pd.Series(pd.date_range("2019-07-03", "2020-03-04", freq="28D"))
    july = view_charts.time_ticks(monthly, charts.panel_width(3))
    assert july.labels[0] == "Jul<br>2019"  # the first meeting's month, labelled


def test_a_meeting_without_lived_experience_says_how_many_were_present_in_plain_english(
    demo: duckdb.DuckDBPyConnection,
) -> None:
    rows = meetings.meetings(demo, ALL, "contributing")
    without = rows[rows["no_lived_experience"].astype(bool)].head(2).copy()
    without["present_total"] = [1, 3]  # one person alone with the team's staff; three
    fig = view_charts.presence_by_meeting(without)
    texts = sorted(t for mark in traces(fig, "No service user or carer present") for t in mark.text)
    assert texts == ["1 person present", "3 people present"]
    assert all("%{text}<extra>" in mark.hovertemplate for mark in traces(fig, "No service user or carer present"))


@pytest.mark.parametrize("seed", range(4))
def test_steps_passed_over_unweighed_are_those_the_labels_would_have_ruled_out(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # time_ticks skips a step whose ticks are sure to come too close (view_charts._too_close), where it
    # weighed every label of five years' weeks for each step: the ticks are those weighing them all gives.
    rng = random.Random(seed)
    cases = []
    for _ in range(60):
        first = pd.Timestamp("2019-01-01") + pd.Timedelta(days=rng.randrange(0, 900))
        days = sorted(first + pd.Timedelta(days=rng.randrange(0, rng.choice([20, 90, 400, 1900]))) for _ in range(12))
        cases.append((pd.Series(days), rng.choice([120.0, 254.5, 400.0, 830.0, 1300.0]), rng.random() < 0.7))
    quick = [view_charts.time_ticks(days, width, bars) for days, width, bars in cases]
    skipped = []
    real = view_charts._too_close
    monkeypatch.setattr(
        view_charts, "_too_close", lambda *args: skipped.append(real(*args)) or False
    )  # weigh every step
    assert [view_charts.time_ticks(days, width, bars) for days, width, bars in cases] == quick
    assert any(skipped)  # the shortcut was taken: the comparison is not of two full weighings


def test_a_heat_maps_margins_hold_its_labels_as_plotly_will_place_them() -> None:
    # Plotly measured a heat map's labels and, when they needed more room than its margins, drew the
    # whole figure again (a quarter of a second for the notes' 30 teams): the margins are made for
    # the labels at the angle Plotly will give them, and Plotly still places them (automargin), so
    # a narrower window (a laptop with the sidebar open) has them placed again
    def heat(teams: list[str]) -> go.Figure:
        return theme_charts.code_team_heatmap(
            pd.DataFrame(
                {
                    "code_id": 1,
                    "code_name": 'Finding the "right" service user',
                    "team_id": range(len(teams)),
                    "team_name": teams,
                    "documents": 1,
                    "notes": 1,
                    "interviews": 0,
                }
            )
        )

    crowded = heat([f"Team {i:04d}" for i in range(30)])
    long = heat([f"{w} community brain-injury team" for w in ("Oak", "Ash", "Elm", "Yew")])
    short = heat(["Oak", "Ash"])
    for fig in (crowded, long, short):
        assert fig.layout.xaxis.automargin is None  # Plotly's to decide, at any width
        assert fig.layout.xaxis.tickangle is None
        # the colour bar's title along its side: across its top it took 170 px, and a 1,024 px window
        # left a heat map of 21 codes 115 px
        assert fig.data[0].colorbar.title.side == "right"
    assert crowded.layout.margin.b >= charts.label_width("Team 0000", 12) + view_charts.AXIS_ROOM  # upright
    tilted = charts.label_width("Ash community brain-injury team", 12)
    assert tilted / 2 + view_charts.AXIS_ROOM <= long.layout.margin.b < tilted  # at 30°, not upright
    column = (charts.SCREEN_WIDTH - long.layout.margin.l - 20 - theme_charts.COLOUR_BAR) / 4
    assert long.layout.margin.r >= tilted * 0.87 - column / 2  # the last runs on
    assert short.layout.margin.b == 60  # level: as the figure had it
    assert crowded.layout.margin.l >= charts.label_width('Finding the "right" service user', 12)


def test_a_matrix_of_many_meetings_dates_every_few_columns_level_and_apart() -> None:
    # Plotly turned five years of dates upright, every other one: a level date under every few columns
    days = pd.date_range("2019-07-03", periods=131, freq="14D")
    fig = view_charts.attendance_matrix(
        pd.DataFrame(
            {
                "row_label": "Nurse",
                "meeting_date": days,
                "cell": "present",
                "meeting_id": range(131),
                "lived_experience": False,
            }
        )
    )
    shown = list(fig.layout.xaxis.tickvals)
    assert shown[0] == "03 Jul 19"
    assert 8 <= len(shown) <= 12
    column = (charts.SCREEN_WIDTH - 160 - 20) / 131
    apart = days.strftime("%d %b %y").get_loc(shown[1]) * column
    assert apart >= charts.label_width("03 Jul 19", view_charts.TICK_FONT)  # apart at presenter mode's size too


def test_the_bars_of_people_present_by_role_are_the_meetings_with_anyone_present(
    small: duckdb.DuckDBPyConnection,
) -> None:
    # the caption's "per meeting there would be N bars": a bar a meeting, not a part of one a role
    by_role = meetings.attendance_by_role(small, ALL, "meeting")
    (present,) = small.execute(
        "select count(distinct m.id) from meetings as m join attendance as a on a.meeting_id = m.id "
        "where m.status = 'held' and a.status = 'present'"
    ).fetchone()  # type: ignore[misc]
    assert view_charts.bars_of(by_role) == present < len(by_role)
