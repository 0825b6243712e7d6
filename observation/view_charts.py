"""Figures of the four views (presence, attendance, recruitment, notes): pure functions, data in,
Plotly figure out. Every mark that opens the rows behind it carries them in ``customdata``.

Colour is never the only signal: series also differ by pattern, symbol or a printed mark.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.subplots import make_subplots

from observation.charts import LEAST_SPAN, PANEL_GAP, assemble, date_axis, first_teams, wrap
from observation.plain import plotly_text

SU_COLOUR, CARER_COLOUR, GREY = "#0072B2", "#E69F00", "#9A9A9A"
CELL_STYLE = {  # cell: (colour, printed mark, words)
    "present": ("#0072B2", "●", "present"),
    "apologies": ("#E69F00", "A", "sent apologies"),
    "absent": ("#D55E00", "○", "absent (invited, did not come)"),
    "not_expected": ("#F3F5F7", "·", "not expected"),
    "cancelled": ("#DDDDDD", "✕", "meeting not held"),
}
ABSENCE_COLOUR = "#D55E00"  # Okabe-Ito vermillion, as an absent person's cell in the matrix
NO_LIVED_EXPERIENCE = "no service user or carer present"
"""A held meeting with attendance recorded and nobody with lived experience among those present."""


LEGEND_AT_THE_FOOT = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0}
"""A legend along the figure's bottom edge, under the ticks: placed below the plot by a share of its
height, a tall figure's legend fell outside the figure and was cut off."""
FOOT = 110
"""px under the panels of a figure with LEGEND_AT_THE_FOOT: tick labels, and the legend's row or two."""
LONE_BAR = 3 * 24 * 3600 * 1000
"""ms: the width of a panel's only bar. Plotly makes a bar as wide as the gaps between a panel's
bars, and a lone bar on a time axis a millisecond wide: not drawn at all."""


def fit_time_axis(fig: go.Figure, dates: pd.Series, row: int | None = None, col: int | None = None) -> None:
    """The time axis of a panel (``row``, ``col``; or of a figure of one) whose ``dates`` span less
    than LEAST_SPAN, such as a team with one meeting in the chosen dates, fixed to the four weeks
    around them and ticked by day: Plotly, left to itself, zoomed in to a millisecond either side of
    one meeting and ticked the axis in fractions of a second ("23:59:59.9996"). A longer axis is
    Plotly's to fit around the bars."""
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    if last - first < LEAST_SPAN:
        fig.update_xaxes(date_axis(first, last), row=row, col=col)


def bar_width(dates: pd.Series) -> int | None:
    """A width for bars at ``dates`` where there is one date only (LONE_BAR); else Plotly's own."""
    return LONE_BAR if pd.Series(dates).nunique() == 1 else None


def grid(
    names: list[str],
    height: int = 260,
    most_columns: int = 3,
    left_out: str = "",
    gap: int = 140,
    bottom: int = 60,
) -> tuple[go.Figure, int]:
    """Small multiples, one panel per name, ``gap`` pixels apart (room for slanted axis labels);
    ``left_out`` (a title line saying some teams are not drawn) gets room above the panels' titles;
    ``bottom`` px under the panels."""
    cols = min(most_columns, max(1, len(names)))
    rows = max(1, -(-len(names) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        subplot_titles=[wrap(n) for n in names] or ["Nothing to show"],
        horizontal_spacing=PANEL_GAP,
        # the gap as a share of the plot's height, so that it stays the same however many teams
        # (a fixed share once passed Plotly's limit of 1 / (rows - 1) and crashed the page)
        vertical_spacing=gap / (height * rows + gap * (rows - 1)) if rows > 1 else 0.0,
    )
    top = 155 if left_out else 125
    fig.update_layout(
        height=height * rows + gap * (rows - 1) + top + bottom,
        margin={"t": top, "b": bottom, "l": 60, "r": 20},
        barmode="stack",
    )
    return fig, cols


def presence_by_meeting(meetings: pd.DataFrame) -> go.Figure:
    """Per team, each meeting's share of those present who were service users and carers (stacked,
    by pattern as well as colour); meaningful involvement starred; a held meeting with nobody with
    lived experience present marked by a hollow diamond on the team's baseline (a bar of 0% draws
    nothing, and read as a month without a meeting); a held meeting with nobody recorded present
    by a grey ring; meetings not held crossed."""
    names, left_out = first_teams(meetings)
    fig, _ = grid(names, height=200, most_columns=1, left_out=left_out, gap=95, bottom=FOOT)
    traces: list[BaseTraceType] = []
    panels: list[int] = []
    for i, name in enumerate(names):
        team = meetings[meetings["team_name"] == name]
        held = team[team["status"] == "held"]
        # bars only where someone with lived experience came: a bar of 0% draws nothing, and would
        # take the hover from the meeting's own mark below
        came = held[held["su_share"].fillna(0) + held["carer_share"].fillna(0) > 0]
        ids = came["meeting_id"].tolist()
        fit_time_axis(fig, team["meeting_date"], row=i + 1, col=1)
        for column, label, colour, pattern in (
            ("su_share", "Service users", SU_COLOUR, "/"),
            ("carer_share", "Carers", CARER_COLOUR, "."),
        ):
            traces.append(
                go.Bar(
                    x=came["meeting_date"],
                    y=came[column].fillna(0),
                    name=label,
                    legendgroup=label,
                    marker={"color": colour, "pattern": {"shape": pattern}},
                    width=bar_width(came["meeting_date"]),
                    customdata=ids,
                    hovertemplate="%{x|%d %b %Y}: %{y:.0%} of those present<extra>" + label + "</extra>",
                )
            )
        meaningful = held[held["meaningful"] == 1]
        traces.append(
            go.Scatter(
                x=meaningful["meeting_date"],
                y=(meaningful["su_share"].fillna(0) + meaningful["carer_share"].fillna(0) + 0.04).tolist(),
                mode="markers",
                name="Meaningful involvement",
                legendgroup="meaningful",
                customdata=meaningful["meeting_id"].tolist(),
                marker={"symbol": "star", "size": 10, "color": "#009E73"},
                hovertemplate="%{x|%d %b %Y}: meaningful involvement<extra></extra>",
            )
        )
        without = held[held["no_lived_experience"].astype(bool)]
        traces.append(
            go.Scatter(
                x=without["meeting_date"],
                y=[0.0] * len(without),
                mode="markers",
                name=NO_LIVED_EXPERIENCE.capitalize(),
                legendgroup="no_lived_experience",
                customdata=without["meeting_id"].tolist(),
                text=[f"{n} {'person' if n == 1 else 'people'} present" for n in without["present_total"]],
                marker={"symbol": "diamond-open", "size": 11, "color": ABSENCE_COLOUR, "line": {"width": 2}},
                cliponaxis=False,
                hovertemplate="%{x|%d %b %Y}: held, " + NO_LIVED_EXPERIENCE + "<br>%{text}<extra></extra>",
            )
        )
        unrecorded = held[~held["attendance_recorded"].astype(bool)]
        traces.append(
            go.Scatter(
                x=unrecorded["meeting_date"],
                y=[0.0] * len(unrecorded),
                mode="markers",
                name="Held, no register",
                legendgroup="unrecorded",
                customdata=unrecorded["meeting_id"].tolist(),
                marker={"symbol": "circle-open", "size": 9, "color": GREY, "line": {"width": 2}},
                cliponaxis=False,
                hovertemplate="%{x|%d %b %Y}: held, but nobody recorded present<extra></extra>",
            )
        )
        not_held = team[team["status"] != "held"]
        traces.append(
            go.Scatter(
                x=not_held["meeting_date"],
                y=[0.0] * len(not_held),
                mode="markers",
                name="Not held",
                legendgroup="not_held",
                customdata=not_held["meeting_id"].tolist(),
                marker={"symbol": "x-thin", "size": 9, "color": GREY, "line": {"width": 2, "color": GREY}},
                cliponaxis=False,
                hovertemplate="%{x|%d %b %Y}: meeting not held<extra></extra>",
            )
        )
        panels += [i] * (len(traces) - len(panels))
    tallest = float((meetings["su_share"].fillna(0) + meetings["carer_share"].fillna(0)).max() or 0)
    fig.update_yaxes(
        range=[0, min(1.05, tallest + 0.1) if tallest else 0.5], tickformat=".0%", title_text="Of those present"
    )
    legend_once(traces)
    fig = assemble(fig, traces, panels)
    fig.update_layout(
        title={
            "text": "Service users and carers among those present, meeting by meeting"
            f"<br><sup>◇ held, {NO_LIVED_EXPERIENCE} · ★ meaningful involvement · ○ held, no register"
            " · ✕ cancelled or postponed · click a meeting to read it</sup>" + left_out
        },
        legend=LEGEND_AT_THE_FOOT,
    )
    return fig


def legend_once(traces: Sequence[BaseTraceType]) -> None:
    """Each legend group named once, by its first trace that draws something: a group the first
    panel has no mark of (no meeting there was cancelled) is still in the legend."""
    named: set[str] = set()
    for trace in traces:
        drawn = trace.x is not None and len(trace.x) > 0
        trace.showlegend = drawn and trace.legendgroup not in named
        if drawn:
            named.add(trace.legendgroup)


def attendance_matrix(matrix: pd.DataFrame) -> go.Figure:
    """Rows (people or roles) by meetings; each cell coloured and marked: ● present, A apologies,
    ○ absent, · not expected, ✕ meeting not held."""
    labels = list(dict.fromkeys(matrix["row_label"]))
    dates = list(dict.fromkeys(matrix["meeting_date"]))
    keys = list(CELL_STYLE)
    grid = matrix.pivot(index="row_label", columns="meeting_date", values="cell").reindex(index=labels, columns=dates)
    ids = matrix.pivot(index="row_label", columns="meeting_date", values="meeting_id").reindex(
        index=labels, columns=dates
    )
    z = [[keys.index(c) for c in row] for row in grid.to_numpy()]
    text = [[CELL_STYLE[c][1] for c in row] for row in grid.to_numpy()]
    words = [[CELL_STYLE[c][2] for c in row] for row in grid.to_numpy()]
    n = len(keys)
    scale = [[bound, CELL_STYLE[k][0]] for i, k in enumerate(keys) for bound in (i / n, (i + 1) / n)]
    rows = [plotly_text(label) for label in labels]  # participant codes or roles: study text, shown as typed
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[pd.Timestamp(d).strftime("%d %b %y") for d in dates],
            y=rows,
            text=text,
            texttemplate="%{text}",
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
            hoverinfo="skip",
        )
    )
    columns = [pd.Timestamp(d).strftime("%d %b %y") for d in dates]
    custom = [[[int(v), w] for v, w in zip(r, wr, strict=True)] for r, wr in zip(ids.to_numpy(), words, strict=True)]
    clickable_cells(fig, columns, rows, custom, "%{y}, %{x}: %{customdata[1]}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={
            "text": "Who came to each meeting<br><sup>● present · A apologies · ○ absent · · not expected · "
            "✕ not held · click a column to read that meeting</sup>"
        },
        height=max(260, 34 * len(labels) + 140),
        margin={"t": 80, "b": 40, "l": 160, "r": 20},
    )
    return fig


def clickable_cells(
    fig: go.Figure, xs: list[str], ys: list[str], custom: Sequence[Sequence[object]], hover: str
) -> None:
    """Plotly selects points, not heatmap cells: an invisible marker on every cell makes a click on
    it a selection that carries the cell's customdata (and its hover text)."""
    fig.add_trace(
        go.Scatter(
            x=[x for _ in ys for x in xs],
            y=[y for y in ys for _ in xs],
            customdata=[cell for row in custom for cell in row],
            mode="markers",
            marker={"symbol": "square", "size": 22, "opacity": 0},
            hovertemplate=hover,
            showlegend=False,
        )
    )


def attendance_by_role(counts: pd.DataFrame) -> go.Figure:
    """Per team, people present by role category per meeting or month (stacked); people with
    lived experience patterned so they stand out."""
    names, left_out = first_teams(counts)
    fig, cols = grid(names, left_out=left_out, bottom=FOOT)
    roles = list(dict.fromkeys(counts["role"]))
    palette = ["#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#999999", "#332288"]
    traces: list[BaseTraceType] = []
    panels: list[int] = []
    for i, name in enumerate(names):
        team = counts[counts["team_name"] == name]
        fit_time_axis(fig, team["period"], row=i // cols + 1, col=i % cols + 1)
        for j, role in enumerate(roles):
            part = team[team["role"] == role]
            if part.empty:
                continue
            shown = plotly_text(role)
            lived = bool(part["lived_experience"].iloc[0])
            traces.append(
                go.Bar(
                    x=part["period"],
                    y=part["present"],
                    name=shown,
                    legendgroup=shown,
                    showlegend=shown not in {t.legendgroup for t in traces},
                    marker={"color": palette[j % len(palette)], "pattern": {"shape": "/" if lived else ""}},
                    width=bar_width(team["period"]),
                    hovertemplate="%{x|%d %b %Y}: %{y} present<extra>" + shown + "</extra>",
                )
            )
            panels.append(i)
    fig.update_yaxes(title_text="People present", col=1)
    fig = assemble(fig, traces, panels)
    fig.update_layout(
        title={"text": "Who attended, by role<br><sup>hatched: service users and carers</sup>" + left_out},
        legend=LEGEND_AT_THE_FOOT,
    )
    return fig


def swimlane(matrix: pd.DataFrame) -> go.Figure:
    """Each person with lived experience across a team's meetings: ● present, A apologies,
    ○ absent, nothing when not expected."""
    people = matrix[matrix["lived_experience"]]
    fig = go.Figure()
    for cell, (colour, mark, words) in CELL_STYLE.items():
        part = people[people["cell"] == cell]
        if cell in {"not_expected", "cancelled"} or part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["meeting_date"],
                y=[plotly_text(code) for code in part["row_label"]],  # participant codes: study text
                mode="markers+text",
                text=[mark] * len(part),
                textfont={"color": "white" if cell == "present" else colour, "size": 10},
                name=words,
                marker={
                    "size": 18,
                    "color": colour if cell == "present" else "white",
                    "line": {"color": colour, "width": 2},
                },
                customdata=part["meeting_id"].tolist(),
                hovertemplate="%{y}, %{x|%d %b %Y}: " + words + "<extra></extra>",
            )
        )
    fig.update_yaxes(autorange="reversed", type="category")
    if not people.empty:
        fit_time_axis(fig, people["meeting_date"])
    fig.update_layout(
        title={
            "text": "People with lived experience across the team's meetings<br><sup>who came once, who stayed</sup>"
        },
        height=max(220, 46 * people["row_label"].nunique() + 140),
        margin={"t": 80, "b": 40, "l": 200, "r": 20},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig
