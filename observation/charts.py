"""Figures as pure functions: data in, a Plotly Figure out. Pages render them; nothing here draws.

Colours are from the Okabe-Ito palette (safe for colour-blind readers), and every series also
differs by line dash and marker symbol, so colour is never the only signal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.subplots import make_subplots

from observation import qi, spc
from observation.plain import plotly_text

PRESENCE_COLOUR = "#0072B2"  # Okabe-Ito blue
MEANINGFUL_COLOUR = "#D55E00"  # Okabe-Ito vermillion
TARGET_COLOUR = "#555555"
EVENT_COLOUR = "#009E73"  # Okabe-Ito bluish green
MAX_SMALL_MULTIPLES = 12
MOST_BARS = 5000  # beyond this a chart is unreadable, and slow to send and draw
SHORT_SERIES = 12
MOST_MARKED_POINTS = 100
"""A panel's series is drawn with a marker at each point up to this many points; beyond, about
four pixels apart or closer, the markers merge into a band, so the line alone is drawn (hovering
still names each point). Thousands of markers also made Chromium take twice as long to draw."""


def month_ticks(first: dt.date, last: dt.date, most: int = 8) -> str:
    """A Plotly month ``dtick`` ("M1", "M2", "M3", "M6" or "M12") that labels a time axis from
    ``first`` to ``last`` with at most ``most`` ticks: month-and-year labels a panel can hold
    without overlapping (and each tick is another grid line for the browser to draw)."""
    start, end = pd.Timestamp(first), pd.Timestamp(last)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return next((f"M{step}" for step in (1, 2, 3, 6) if -(-months // step) <= most), "M12")


QUARTER_FORMAT = "%Y Q%q"
"""A quarter as its ticks and hover name it: "2020 Q1" (d3's %q is the quarter of the year)."""
QUARTER_LABELS = {1: 10, 2: 5, 3: 3}
"""Quarter labels a panel holds side by side at presenter mode's text size, by columns of panels."""


def quarter_ticks(first: dt.date, last: dt.date, most: int) -> str:
    """A Plotly month ``dtick`` for quarters from ``first`` to ``last``: "M3", a tick every quarter;
    "M6", every second quarter when more than ``most`` would crowd a panel; else "M12"."""
    start, end = pd.Timestamp(first), pd.Timestamp(last)
    quarters = (end.year - start.year) * 4 + end.quarter - start.quarter + 1
    return next((f"M{3 * step}" for step in (1, 2) if -(-quarters // step) <= most), "M12")


def marker_mode(points_per_panel: int) -> str:
    return "lines+markers" if points_per_panel <= MOST_MARKED_POINTS else "lines"


def first_teams(frame: pd.DataFrame) -> tuple[list[str], str]:
    """At most MAX_SMALL_MULTIPLES of ``frame``'s team names, in its order, and a title line saying
    how many were left out ("" when none was), so that no chart is read as all the teams when it is
    not. A ``teams_in_filter`` column, where the query kept only the first teams, says how many
    there are."""
    every = [str(n) for n in dict.fromkeys(frame["team_name"])]
    shown = every[:MAX_SMALL_MULTIPLES]
    teams = max(int(frame["teams_in_filter"].max()) if "teams_in_filter" in frame and len(frame) else 0, len(every))
    if len(shown) == teams:
        return shown, ""
    return shown, f"<br><sup>{len(shown)} of {teams} teams shown: choose teams in the sidebar to see others</sup>"


def wrap(title: str, width: int = 24) -> str:
    """A long panel title (a team's name: study text, shown as typed) over two lines, so
    neighbouring panels' titles never overlap."""
    title = plotly_text(title)
    if len(title) <= width or " " not in title:
        return title
    cut = title.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else title.find(" ")
    return f"{title[:cut]}<br>{title[cut + 1 :]}"


def involvement_trend(
    trend: pd.DataFrame,
    target: float,
    level_label: str,
    events: pd.DataFrame | None = None,
    period: str = "month",
    note: str = "",
) -> go.Figure:
    """Per team, month by month: share of held meetings with lived-experience presence and with
    meaningful involvement, on one shared 0-100% scale, with the target drawn on every panel and
    dated events (home meetings began, QI training…) marked on their team's panel.

    ``trend`` and ``events`` have the columns of ``observation.queries.Overview``'s fields; teams
    appear in the trend's order. At most MAX_SMALL_MULTIPLES teams are drawn (the caller says so
    when there are more). A study-wide event (no team) is marked on every panel.
    """
    names = list(dict.fromkeys(trend["team_name"]))[:MAX_SMALL_MULTIPLES]
    cols = min(3, max(1, len(names)))
    rows = max(1, -(-len(names) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        shared_xaxes=True,
        subplot_titles=[wrap(n) for n in names] or ["No held meetings"],
        horizontal_spacing=0.04,
        vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    traces: list[go.Scatter] = []
    panels_of: list[int] = []
    marks: list[tuple[dict[str, object], dict[str, object] | None]] = []
    per_team = trend.groupby("team_id")["month"].count()
    mode = marker_mode(int(per_team.max()) if not trend.empty else 0)
    for i, name in enumerate(names):
        team = trend[trend["team_name"] == name]
        when = "%{x|%b %Y}" if period == "month" else f"%{{x|{QUARTER_FORMAT}}}"
        hover = when + ": %{y:.0%} of %{customdata} held meetings<extra>%{fullData.name}</extra>"
        for column, label, colour, dash, symbol in (
            ("presence_share", "Lived-experience presence", PRESENCE_COLOUR, "solid", "circle"),
            (
                "meaningful_share",
                f"Meaningful involvement ({level_label} or above)",
                MEANINGFUL_COLOUR,
                "dash",
                "square",
            ),
        ):
            traces.append(
                go.Scatter(
                    x=team["month"],
                    y=team[column],
                    customdata=team["meetings"],
                    name=label,
                    legendgroup=column,
                    showlegend=i == 0,
                    mode=mode,
                    line={"color": colour, "dash": dash, "width": 2},
                    marker={"symbol": symbol, "size": 7, "color": colour},
                    hovertemplate=hover,
                )
            )
            panels_of.append(i)
        marks.append((_target_line(target, i), None))
        if events is not None and not events.empty:
            team_id = team["team_id"].iloc[0]
            mine = events[events["team_id"].isna() | (events["team_id"] == team_id)]
            marks += [_event_mark(pd.Timestamp(e.event_date).date(), str(e.label), i) for e in mine.itertuples()]
    shortest = int(per_team.min()) if not trend.empty else 0
    caveat = (
        f" · {shortest} {period}ly points or fewer: read as a description, not a signal"
        if 0 < shortest < SHORT_SERIES
        else ""
    )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title_text="Held meetings", col=1)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    if not trend.empty:
        fig.update_xaxes(**_time_axis(trend["month"].min(), trend["month"].max(), period, cols))
    fig = assemble(fig, traces, panels_of, marks)
    fig.update_layout(
        title={
            "text": f"Service users and carers at held meetings, by {period}"
            f"<br><sup>Dotted line: meaningful-involvement target {target:.0%}{caveat}{note}</sup>",
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.22 / rows, "x": 0},
        height=320 * rows + 100,
        margin={"t": 135, "b": 80, "l": 60, "r": 20},
        hovermode="closest",
    )
    return fig


def _time_axis(first: dt.date, last: dt.date, period: str, cols: int) -> dict[str, object]:
    """The trend's time axis: months as "Jan 2020"; quarters as "2020 Q1", a tick each (every
    second when crowded), the range half a quarter wider each side so that the first and last
    labels stay under their own panel."""
    if period != "quarter":
        return {"tickformat": "%b\n%Y", "dtick": month_ticks(first, last)}
    half = pd.Timedelta(days=46)
    return {
        "tickformat": QUARTER_FORMAT,
        "dtick": quarter_ticks(first, last, QUARTER_LABELS[cols]),
        "range": [(pd.Timestamp(first) - half).isoformat(), (pd.Timestamp(last) + half).isoformat()],
    }


def _axes(panel: int) -> str:
    """The axis suffix of small multiple ``panel`` (0-based, row by row): "", "2", "3"…"""
    return "" if panel == 0 else str(panel + 1)


def _target_line(target: float, panel: int) -> dict[str, object]:
    """The dotted target line across one panel."""
    return {
        "type": "line", "xref": f"x{_axes(panel)} domain", "x0": 0, "x1": 1, "yref": f"y{_axes(panel)}",
        "y0": target, "y1": target, "line": {"color": TARGET_COLOUR, "dash": "dot", "width": 1},
    }  # fmt: skip


def _event_mark(day: dt.date, label: str, panel: int) -> tuple[dict[str, object], dict[str, object]]:
    """A labelled vertical line at ``day`` on one panel (the shape and its annotation); the label
    runs up the line. The label is study text, shown as typed."""
    when = pd.Timestamp(day).isoformat()
    label = plotly_text(label)
    x, y = f"x{_axes(panel)}", f"y{_axes(panel)} domain"
    line = {"type": "line", "xref": x, "x0": when, "x1": when, "yref": y, "y0": 0, "y1": 1,
            "line": {"color": EVENT_COLOUR, "width": 1.5, "dash": "longdash"}}  # fmt: skip
    note = {
        "xref": x, "x": when, "yref": y, "y": 0.02, "text": label, "textangle": -90, "showarrow": False,
        "xanchor": "right", "yanchor": "bottom", "font": {"size": 10, "color": EVENT_COLOUR},
        "hovertext": f"{label} ({pd.Timestamp(day):%d %b %Y})",
    }  # fmt: skip
    return line, note


def assemble(
    fig: go.Figure,
    traces: Sequence[BaseTraceType],
    panels: Sequence[int],
    marks: Sequence[tuple[dict[str, object], dict[str, object] | None]] = (),
) -> go.Figure:
    """``fig`` (made by make_subplots) with the traces (each on its 0-based panel) and the shapes
    and notes, built as one figure: Plotly checks every part of a figure again on each update of
    it, which took longer than building it (a tenth of a second for twelve panels)."""
    layout = fig.layout.to_plotly_json()
    layout["shapes"] = [shape for shape, _ in marks if shape]  # a note alone has an empty shape
    layout["annotations"] = [*layout.get("annotations", ()), *(note for _, note in marks if note is not None)]
    data = [
        trace.to_plotly_json() | {"xaxis": f"x{_axes(panel)}", "yaxis": f"y{_axes(panel)}"}
        for trace, panel in zip(traces, panels, strict=True)
    ]
    return go.Figure(data=data, layout=layout)


READING_STYLE: dict[spc.Reading, tuple[str, str, str]] = {
    # reading: (colour, marker symbol, legend label); Okabe-Ito colours, and shapes differ too
    "improvement": ("#0072B2", "triangle-up", "Special cause: improvement"),
    "concern": ("#E69F00", "triangle-down", "Special cause: concern"),
    "neutral": ("#CC79A7", "diamond", "Special cause: neutral"),
}
VALUE_COLOUR = "#7F7F7F"
CENTRE_COLOUR = "#333333"
LIMIT_COLOUR = "#9A9A9A"


def qi_chart(panels: tuple[qi.TeamPanel, ...], choice: qi.ChartChoice, target: float | None) -> go.Figure:
    """Small multiples of one run or SPC chart per team: each point's value (a subgroup's share, a
    meeting's representation, or a g-chart's gap), the centre line and limits of each phase, special
    causes marked by shape and colour with the reason on hover, the team's dated events, and the
    target where the measure has one. Hover names each point, its count and n, and its limits."""
    spec = choice.spec
    shown = panels[:MAX_SMALL_MULTIPLES]
    cols = min(3, max(1, len(shown)))
    rows = max(1, -(-len(shown) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        subplot_titles=[wrap(p.team_name) for p in shown] or ["No held meetings with attendance recorded"],
        horizontal_spacing=0.04,
        vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    legend_seen: set[str] = set()
    traces: list[go.Scatter] = []
    panels_of: list[int] = []
    marks: list[tuple[dict[str, object], dict[str, object] | None]] = []
    mode = marker_mode(max((len(p.dates) for p in shown), default=0))
    gaps = choice.chart == "g"
    for i, panel in enumerate(shown):
        mine = _qi_traces(panel, choice, legend_seen, mode)
        traces += mine
        panels_of += [i] * len(mine)
        if target is not None and spec.has_target and not gaps:
            marks.append((_target_line(target, i), None))
        if panel.chart is None:
            marks.append(({}, _panel_note(f"No meeting with {spec.having}", i)))
        marks += [_event_mark(day, label, i) for day, label in panel.events]
    notes = [f"{qi.CHART_KINDS[choice.chart]} · {spc.RULE_SET_NAMES[choice.rules]}"]
    if any(p.withheld for p in shown):
        notes.append("no limits or signals where the sentence below says why")
    if any(p.chart is not None and p.chart.trial_limits and not p.withheld for p in shown):
        limits = "a short series" if choice.chart == "run" else "trial limits"
        notes.append(f"{limits} where a phase has fewer than {spc.SHORT_PHASE} {choice.unit(2)}")
    if choice.rebase:
        notes.append("rebased at the team's own dated events")
    if target is not None and spec.has_target and not gaps:
        notes.append(f"dotted line: target {target:.0%}")
    if gaps:
        fig.update_yaxes(rangemode="tozero", title_text="Held meetings without", col=1)
    else:
        fig.update_yaxes(range=[-0.02, 1.05], tickformat=".0%")
        fig.update_yaxes(title_text=spec.label, col=1)
    dates = [d for p in shown for d in (*p.dates, *(p.span or ()))]
    if dates:  # every panel over the same period, so the teams line up and a g-chart's open gap shows
        fig.update_xaxes(
            range=[(min(dates) - dt.timedelta(days=10)).isoformat(), (max(dates) + dt.timedelta(days=10)).isoformat()]
        )
    if choice.subgrouped and choice.subgroup == "quarter":
        quarters = sorted({d for p in shown for d in p.dates})
        every = quarters[:: -(-len(quarters) // 8)]  # at most eight labels a panel, as month_ticks keeps months
        fig.update_xaxes(
            tickvals=[d.isoformat() for d in every], ticktext=[qi.quarter_label(d).replace(" ", "<br>") for d in every]
        )
    elif dates:
        fig.update_xaxes(tickformat="%b\n%Y", dtick=month_ticks(min(dates), max(dates)))
    fig = assemble(fig, traces, panels_of, marks)
    fig.update_layout(
        title={"text": f"{_qi_title(choice)}<br><sup>{' · '.join(notes)}</sup>"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22 / rows, "x": 0},
        height=320 * rows + 100,
        margin={"t": 135, "b": 80, "l": 60, "r": 20},
        hovermode="closest",
    )
    return fig


def _qi_title(choice: qi.ChartChoice) -> str:
    """What each point of the chart is, named in its title."""
    spec = choice.spec
    if choice.chart == "g":
        return f"Held meetings between meetings with {spec.having}"
    if not choice.subgrouped:
        return f"{spec.label} at each held meeting (n = people present)"
    per = f"block of {choice.block} held meetings" if choice.subgroup == "block" else choice.subgroup
    return f"{spec.label}: share of held meetings per {per} (n = held meetings in the {choice.unit()})"


def _panel_note(text: str, panel: int) -> dict[str, object]:
    return {
        "xref": f"x{_axes(panel)} domain", "x": 0.5, "yref": f"y{_axes(panel)} domain", "y": 0.5,
        "text": text, "showarrow": False, "font": {"color": TARGET_COLOUR},
    }  # fmt: skip


def _qi_traces(panel: qi.TeamPanel, choice: qi.ChartChoice, legend_seen: set[str], mode: str) -> list[go.Scatter]:
    def legend(name: str) -> dict[str, object]:
        first = name not in legend_seen
        legend_seen.add(name)
        return {"name": name, "legendgroup": name, "showlegend": first}

    if panel.chart is None:
        return []
    x = [d.isoformat() for d in panel.dates]
    points = panel.chart.points
    gaps = choice.chart == "g"
    value = "%{y:.0f} held meetings without" if gaps else "%{y:.0%}"
    hover = [_hover_line(panel, choice, p) for p in points]
    traces = [
        go.Scatter(
            x=x,
            y=[p.value for p in points],
            mode=mode,
            line={"color": VALUE_COLOUR, "width": 1.5},
            marker={"color": VALUE_COLOUR, "size": 5, "symbol": "circle"},
            customdata=hover,
            hovertemplate="%{customdata[0]}: " + value + "<br>%{customdata[1]}<extra></extra>",
            **legend(_point_name(choice)),
        )
    ]
    for phase in panel.chart.phases:
        span = points[phase.start : phase.end]
        px = x[phase.start : phase.end]
        centre = [p.centre for p in span]
        level = len(set(centre)) == 1  # a phase's centre line is level: its two ends draw it
        traces.append(
            go.Scatter(
                x=[px[0], px[-1]] if level else px,
                y=[centre[0], centre[-1]] if level else centre,
                mode="lines",
                line={"color": CENTRE_COLOUR, "width": 1.5},
                hoverinfo="skip",
                **legend("Median" if choice.chart in ("run", "g") else "Centre line"),
            )
        )
        if span[0].upper is not None:
            for bound in ("lower", "upper"):
                traces.append(
                    go.Scatter(
                        x=px,
                        y=[getattr(p, bound) for p in span],
                        mode="lines",
                        line_shape="hvh",
                        line={"color": LIMIT_COLOUR, "width": 1, "dash": "dash"},
                        hoverinfo="skip",
                        **legend("Process limits"),
                    )
                )
    if gaps and panel.open_gap and panel.span is not None:
        traces.append(
            go.Scatter(
                x=[panel.span[1].isoformat()],
                y=[panel.open_gap],
                mode="markers",
                marker={"color": VALUE_COLOUR, "symbol": "circle-open", "size": 9, "line": {"width": 2}},
                hovertemplate=f"Still open at the last meeting, %{{x|%d %b %Y}}: %{{y:.0f}} held meetings without "
                f"{plotly_text(choice.spec.having)}<extra></extra>",
                **legend("Gap still open"),
            )
        )
    for reading, (colour, symbol, label) in READING_STYLE.items():
        marked = [p for p in points if spc.reading(p, choice.direction) == reading]
        if marked:
            traces.append(
                go.Scatter(
                    x=[x[p.index] for p in marked],
                    y=[p.value for p in marked],
                    mode="markers",
                    marker={"color": colour, "symbol": symbol, "size": 11, "line": {"color": "white", "width": 1}},
                    customdata=[[hover[p.index][0], plotly_text(p.why or "")] for p in marked],
                    hovertemplate="%{customdata[0]}: " + value + "<br><b>%{customdata[1]}</b><extra>" + label
                    + "</extra>",
                    **legend(label),
                )
            )  # fmt: skip
    return traces


def _point_name(choice: qi.ChartChoice) -> str:
    if choice.chart == "g":
        return "Each gap"
    return f"Each {choice.unit()}" if choice.subgrouped else "Each meeting"


def _hover_line(panel: qi.TeamPanel, choice: qi.ChartChoice, point: spc.Point) -> list[str]:
    """A point's name, and its count, n and limits in words (and why it was flagged, if it was)."""
    name = plotly_text(panel.labels[point.index])
    if choice.chart == "g":
        counts = "since the previous meeting with " + plotly_text(choice.spec.having)
        limits = f"upper limit {point.upper:.1f}" if point.upper is not None else "no limits"
    else:
        yes, n = panel.counts[point.index]
        counts = f"{yes} of {n} people present" if not choice.subgrouped else f"{yes} of {n} held meetings"
        limits = (
            f"limits {point.lower:.0%}–{point.upper:.0%}"
            if point.lower is not None and point.upper is not None
            else "no limits"
        )
    return [name, " · ".join(part for part in (counts, limits, plotly_text(point.why or "")) if part)]


def team_shares(teams: pd.DataFrame, target: float, level_label: str) -> go.Figure:
    """Per team, lived-experience presence and meaningful involvement over the whole period, as
    grouped horizontal bars against the target. ``teams`` has team_name, presence_share and
    meaningful_share (None where presenter mode hid it: no bar, and the axis label says
    "hidden")."""
    fig = go.Figure()
    for column, label, colour, pattern in (
        ("presence_share", "Lived-experience presence", PRESENCE_COLOUR, ""),
        ("meaningful_share", f"Meaningful involvement ({level_label} or above)", MEANINGFUL_COLOUR, "/"),
    ):
        values = teams[column].astype(float)
        fig.add_trace(
            go.Bar(
                y=[plotly_text(n) for n in teams["team_name"]],
                x=values,
                name=label,
                orientation="h",
                marker={"color": colour, "pattern": {"shape": pattern}},
                text=["hidden" if pd.isna(v) else f"{v:.0%}" for v in values],
                textposition="outside",
                hovertemplate="%{y}: %{text}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_vline(x=target, line={"color": TARGET_COLOUR, "dash": "dot"})
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title_text="Held meetings")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={
            "text": f"Service users and carers at held meetings, by team<br><sup>Dotted line: "
            f"meaningful-involvement target {target:.0%}</sup>"
        },
        barmode="group",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        height=200 + 70 * len(teams),
        margin={"t": 110, "l": 120},
    )
    return fig
