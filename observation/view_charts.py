"""Figures of the four views (presence, attendance, recruitment, notes): pure functions, data in,
Plotly figure out. Every mark that opens the rows behind it carries them in ``customdata``.

Colour is never the only signal: series also differ by pattern, symbol or a printed mark.
"""

from __future__ import annotations

import functools
import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from observation.charts import (
    LABEL_GAP,
    NARROWEST,
    PAGE_WIDTH,
    PANEL_GAP,
    SCREEN_WIDTH,
    SHORT_AXIS,
    assemble,
    date_span,
    first_teams,
    label_width,
    labels_fit,
    panel_grid,
    panel_width,
    rows_by_team,
    set_axes,
    whole_ticks,
    wrap,
)
from observation.plain import plotly_text

SU_COLOUR, CARER_COLOUR, GREY = "#0072B2", "#E69F00", "#9A9A9A"
CELL_STYLE = {  # cell: (colour, printed mark, words, in the chart's key: the colour's name, the words)
    "present": ("#0072B2", "●", "present", "blue", "present"),
    "apologies": ("#E69F00", "A", "sent apologies", "orange", "apologies"),
    "absent": ("#D55E00", "○", "absent (invited, did not come)", "red", "absent"),
    "not_expected": ("#F3F5F7", "·", "not expected", "blank", "not expected"),
    "cancelled": ("#DDDDDD", "✕", "meeting not held", "grey", "not held"),
}
MATRIX_MARGIN = {"t": 80, "b": 40, "l": 160, "r": 20}
MARKED_COLUMN = 14
"""px a column of the matrix needs for its cells' marks (a 12 px character and the 2 px gap). With
narrower columns (a team's five years of meetings) the marks were cut to specks, and Plotly still
laid out each one: the cells are then coloured only, the colours named above the chart."""
ABSENCE_COLOUR = "#D55E00"  # Okabe-Ito vermillion, as an absent person's cell in the matrix
NO_LIVED_EXPERIENCE = "no service user or carer present"
"""A held meeting with attendance recorded and nobody with lived experience among those present."""


LEGEND_AT_THE_FOOT = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0}
"""A legend along the figure's bottom edge, under the ticks: placed below the plot by a share of its
height, a tall figure's legend fell outside the figure and was cut off."""
FOOT = 110
"""px under the panels of a figure with LEGEND_AT_THE_FOOT: tick labels, and the legend's row or two."""
LEGEND_ROW = 30
"""px a row of a legend takes."""
PANEL_TITLE_LINE = 22
"""px a line of a panel's title takes (charts.PANEL_TITLE_FONT, and the space between lines)."""
LONE_BAR = 3 * 24 * 3600 * 1000
"""ms: the width of a panel's only bar. Plotly makes a bar as wide as the gaps between a panel's
bars, and a lone bar on a time axis a millisecond wide: not drawn at all."""


TICK_FONT = 18
"""px of the tick labels the axes are ticked for: presenter mode's and the slides' text (figures.ROOM_FONT),
half as wide again as the page's 12 px, so the labels keep apart at either size."""
MARK_ROOM = 12
"""px kept between a panel's edge and the middle of its first or last meeting: half a swimlane's mark."""
TICK_STEPS: tuple[tuple[str, int], ...] = (
    *(("D", days) for days in (7, 14)),
    *(("M", months) for months in (1, 2, 3, 6, 12, 24, 60)),
)
"""Ticks every week or two (Mondays, by day) or every so many months (by month), finest first."""


@dataclass(frozen=True)
class TimeTicks:
    """A panel's time axis: its range and its ticks, each labelled inside the panel."""

    start: pd.Timestamp
    end: pd.Timestamp
    ticks: tuple[pd.Timestamp, ...]
    labels: tuple[str, ...]

    def layout(self) -> dict[str, object]:
        return {
            "range": [self.start.isoformat(), self.end.isoformat()],
            "tickmode": "array",
            "tickvals": [t.isoformat() for t in self.ticks],
            "ticktext": list(self.labels),
        }


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _tick_text(tick: pd.Timestamp, by_day: bool) -> str:
    """A tick's label without its year: "3 Feb" (by day) or "Feb"."""
    return f"{tick.day} {MONTHS[tick.month - 1]}" if by_day else MONTHS[tick.month - 1]


def tick_labels(ticks: Sequence[pd.Timestamp], by_day: bool) -> list[str]:
    """Each tick's label, "3 Feb" (by day) or "Feb": the year under the first, and under the first of a new year."""
    shown = []
    for i, tick in enumerate(ticks):
        text = _tick_text(tick, by_day)
        shown.append(text + f"<br>{tick.year}" if i == 0 or ticks[i - 1].year != tick.year else text)
    return shown


@functools.lru_cache(maxsize=4096)
def tick_width(label: str, size: float = TICK_FONT) -> float:
    """px a tick label takes, its widest line (kept: an axis weighs every day of five years' labels)."""
    return max(label_width(line, size) for line in label.split("<br>"))


def time_ticks(dates: pd.Series, width: float, bars: bool = True) -> TimeTicks:
    """The time axis of a panel ``width`` px wide showing ``dates`` (``bars`` or marks centred on
    them): MARK_ROOM px wider each side, or half the closest two dates' distance if more (half of
    Plotly's bars), at least four weeks wide (a team with one meeting in the chosen dates: Plotly, left to
    itself, zoomed in to a millisecond and ticked "23:59:59.9996"); ticked as finely as TICK_STEPS
    allow with every label, at TICK_FONT, wholly inside the panel and LABEL_GAP px from the next.
    Left to Plotly, a label sat on the panel's edge, half of it in the gap where it met the next
    panel's ("Mar 2020Jul 2019"), and a panel's first tick fell outside its range unlabelled."""
    days = pd.Series(pd.to_datetime(dates)).dropna().drop_duplicates().sort_values()
    first, last = pd.Timestamp(days.iloc[0]), pd.Timestamp(days.iloc[-1])
    closest = days.diff().min() if bars and len(days) > 1 else pd.Timedelta(0)
    span_days = max((last - first) / pd.Timedelta(days=1), 28.0)
    pad_days = max(closest / pd.Timedelta(days=1) / 2, MARK_ROOM * span_days / width)
    start, end = date_span(first, last, pad_days)
    month = first.normalize().replace(day=1)
    if end - start > SHORT_AXIS and first - month <= pd.Timedelta(days=7):
        # the first meeting's month labelled, a few days before it: "Jul 2019" over a 3 July meeting
        days_per_px = (end - month) / pd.Timedelta(days=1) / width
        start = min(start, month - pd.Timedelta(days=days_per_px * (tick_width(f"{month:%b}<br>2000") / 2 + 2)))
    per_day = width / ((end - start) / pd.Timedelta(days=1))
    for unit, step in TICK_STEPS:
        if _too_close(unit, step, per_day, width, start.year, end.year):
            continue
        ticks = _ticks_inside(start, end, unit, step, per_day, width)
        if ticks:
            return TimeTicks(start, end, tuple(ticks), tuple(tick_labels(ticks, unit == "D")))
    middle = (start + (end - start) / 2).normalize()  # a panel too narrow for two labels: its middle day
    return TimeTicks(start, end, (middle,), tuple(tick_labels([middle], True)))


def _too_close(unit: str, step: int, per_day: float, width: float, first_year: int, last_year: int) -> bool:
    """Whether ticks every ``step`` days or months are sure to come too close for their labels,
    without weighing a label: two or more of them fall wholly inside the panel (however wide their
    labels), and no two neighbours are as far apart as the narrowest two labels of the unit need
    (_ticks_inside would weigh every label of five years' weeks, for each step, to find so)."""
    apart = (step if unit == "D" else 31 * step) * per_day  # the farthest two neighbours can be
    narrowest, widest = _label_extremes(unit == "D", first_year, last_year)
    return apart < narrowest + LABEL_GAP and width - widest >= 3 * apart


@functools.lru_cache(maxsize=256)
def _label_extremes(by_day: bool, first_year: int, last_year: int) -> tuple[float, float]:
    """px of the narrowest tick label of a unit (its first line, as tick_width weighs it) and of the
    widest, its year under it, in these years."""
    texts = [f"{day} {month}" for day in range(1, 32) for month in MONTHS] if by_day else list(MONTHS)
    narrowest = min(tick_width(text) for text in texts)
    widest = max(tick_width(f"{text}<br>{year}") for text in texts for year in range(first_year, last_year + 1))
    return narrowest, widest


def _ticks_inside(
    start: pd.Timestamp, end: pd.Timestamp, unit: str, step: int, per_day: float, width: float
) -> list[pd.Timestamp]:
    """Ticks every ``step`` weeks' days or months from the first whose label fits inside the panel;
    none if two neighbours' labels would come closer than LABEL_GAP px."""
    if unit == "D":
        first = (start + pd.Timedelta(days=(7 - start.day_of_week) % 7)).normalize()  # a Monday
        every = pd.date_range(first, end, freq=f"{step}D")
    else:
        every = pd.date_range(start.normalize(), end, freq="MS")
    at = list(zip(every, ((every - start) / pd.Timedelta(days=1) * per_day).tolist(), strict=True))
    by_day = unit == "D"

    def half(t: pd.Timestamp) -> float:  # its label with the year under it: the wider
        return tick_width(f"{_tick_text(t, by_day)}<br>{t.year}") / 2

    inside = [(t, x) for t, x in at if x - half(t) >= 0]
    if unit == "M":
        inside = inside[::step]
    kept = [(t, x) for t, x in inside if x + half(t) <= width]
    ticks = [t for t, _ in kept]
    labels = tick_labels(ticks, by_day)
    for (a, left), (b, right) in itertools.pairwise(zip([x for _, x in kept], labels, strict=True)):
        if b - a < (tick_width(left) + tick_width(right)) / 2 + LABEL_GAP:
            return []
    return ticks


def fit_time_axis(
    fig: go.Figure,
    dates: pd.Series,
    width: float,
    row: int | None = None,
    col: int | None = None,
    bars: bool = True,
) -> None:
    """The time axis of a panel (``row``, ``col``; or of a figure of one) ``width`` px wide
    showing ``dates``: time_ticks."""
    fig.update_xaxes(time_ticks(dates, width, bars).layout(), row=row, col=col)


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
    subtitle_lines: int = 1,
) -> tuple[dict[str, Any], int]:
    """The layout (Plotly's JSON, charts.panel_grid's) of small multiples, one panel per name,
    ``gap`` pixels apart (room for slanted axis labels); ``left_out`` (a title line saying some
    teams are not drawn) and a subtitle of ``subtitle_lines`` get room above the panels' titles;
    ``bottom`` px under the panels."""
    cols = min(most_columns, max(1, len(names)))
    rows = max(1, -(-len(names) // cols))
    titles = [wrap(n, cols) for n in names] or ["Nothing to show"]
    # room for panel titles of two lines; a longer name's each line more takes its height from the
    # gap between rows and twice its height from the top margin, whose middle the chart's title
    # keeps to (three lines ran over the chart's own title)
    more = PANEL_TITLE_LINE * max(0, max(t.count("<br>") + 1 for t in titles) - 2)
    gap += more
    layout = panel_grid(
        rows,
        cols,
        titles,
        shared_y=True,
        horizontal_spacing=PANEL_GAP,
        # the gap as a share of the plot's height, so that it stays the same however many teams
        # (a fixed share once passed Plotly's limit of 1 / (rows - 1) and crashed the page)
        vertical_spacing=gap / (height * rows + gap * (rows - 1)) if rows > 1 else 0.0,
    )
    # Plotly sets a title's first line on the middle of the top margin: each line more takes two
    # lines' height of it (30 px for the teams left out put that line on the panels' titles)
    top = 125 + 40 * (subtitle_lines - 1 + bool(left_out)) + 2 * more
    layout.update(
        height=height * rows + gap * (rows - 1) + top + bottom,
        margin={"t": top, "b": bottom, "l": 60, "r": 20},
        barmode="stack",
    )
    return layout, cols


def presence_by_meeting(meetings: pd.DataFrame) -> go.Figure:
    """Per team, each meeting's share of those present who were service users and carers (stacked,
    by pattern as well as colour); meaningful involvement starred; a held meeting with nobody with
    lived experience present marked by a hollow diamond on the team's baseline (a bar of 0% draws
    nothing, and read as a month without a meeting); a held meeting with nobody recorded present
    by a grey ring; meetings not held crossed."""
    names, left_out = first_teams(meetings)
    layout, _ = grid(names, height=200, most_columns=1, left_out=left_out, gap=95, bottom=FOOT, subtitle_lines=2)
    traces: list[BaseTraceType] = []
    panels: list[int] = []
    for i, team in enumerate(rows_by_team(meetings, names)):
        held = team[team["status"] == "held"]
        # bars only where someone with lived experience came: a bar of 0% draws nothing, and would
        # take the hover from the meeting's own mark below
        came = held[held["su_share"].fillna(0) + held["carer_share"].fillna(0) > 0]
        ids = came["meeting_id"].tolist()
        set_axes(layout, "x", time_ticks(team["meeting_date"], panel_width(1)).layout(), panel=i)
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
    set_axes(
        layout,
        "y",
        {"range": [0, min(1.05, tallest + 0.1) if tallest else 0.5], "tickformat": ".0%",
         "title": {"text": "Of those present"}},
    )  # fmt: skip
    title = (
        "Service users and carers among those present, meeting by meeting"
        # the key over two lines: in one, a narrow window (1100 px, the sidebar open) cut it at
        # "click a meeti", the only words saying a meeting can be clicked
        f"<br><sup>◇ held, {NO_LIVED_EXPERIENCE} · ★ meaningful involvement</sup>"
        "<br><sup>○ held, no register · ✕ cancelled or postponed · click a meeting to read it</sup>" + left_out
    )
    return _grid_figure(layout, traces, panels, title)


def _grid_figure(layout: dict[str, Any], traces: list[BaseTraceType], panels: list[int], title: str) -> go.Figure:
    """A grid's small multiples of Presence and Attendance as one figure: each legend entry once,
    the margins kept (labels_fit), the legend along the foot."""
    legend_once(traces)
    labels_fit(layout)
    return assemble(layout, traces, panels, title={"text": title}, legend=LEGEND_AT_THE_FOOT)


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
    plot_width = SCREEN_WIDTH - MATRIX_MARGIN["l"] - MATRIX_MARGIN["r"]
    marked = len(dates) * MARKED_COLUMN <= plot_width
    text = [[CELL_STYLE[c][1] for c in row] for row in grid.to_numpy()] if marked else None
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
            texttemplate="%{text}" if marked else None,
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
    column = plot_width / max(len(dates), 1)  # a team with no meeting in the chosen dates has none
    # half a column: a window narrower than the page the figure is made for still draws them apart
    clickable_cells(
        fig, columns, rows, custom, "%{y}, %{x}: %{customdata[1]}<extra></extra>", min(22, max(1, int(column / 2)))
    )
    if dates:
        fig.update_xaxes(range=[-0.5, len(dates) - 0.5])  # the cells' own width: markers widened it
    fig.update_yaxes(autorange="reversed")
    key = " · ".join(f"{mark if marked else colour} {short}" for _, mark, _, colour, short in CELL_STYLE.values())
    if not marked:
        key += " (too many meetings to mark each cell: point at one)"
    fig.update_layout(
        title={"text": f"Who came to each meeting<br><sup>{key} · click a column to read that meeting</sup>"},
        height=max(260, 34 * len(labels) + 140),
        margin=MATRIX_MARGIN,
    )
    heatmap_labels_fit(fig, columns, rows, every_column=False)
    return fig


HEATMAP_FONT = 12
"""px of a heat map's tick labels on a page (figures.SCREEN_AXES); presenter mode and the slides,
whose labels are larger, measure theirs (figures.for_a_room)."""
TICK_LINE = HEATMAP_FONT * 1.25
"""px a line of those labels takes."""


def heatmap_labels_fit(
    fig: go.Figure, xs: Sequence[str], ys: Sequence[str], beside: float = 0, every_column: bool = True
) -> None:
    """Margins that hold a heat map's tick labels where the figure is drawn on a page, less
    ``beside`` px for a colour bar, worked out from their widths (charts.label_width): Plotly
    measures the labels ("automargin") and, when they need more room than the margins give, draws
    the whole figure a second time (a quarter of a second for the notes' heat map of 30 teams). The
    angle Plotly gives them is foreseen: level where each fits over its column, tilted by 30° where
    a column is two lines wide, else upright. A narrower window (charts 640-906 px wide on a laptop
    with the sidebar open) has Plotly place them again, as before. Not ``every_column`` (a column per
    meeting), a level label under every few columns where they are too narrow, spaced for presenter
    mode's larger labels (Plotly turned five years of dates upright, every other one)."""
    margin = fig.layout.margin
    longest_x = max((label_width(html.unescape(x), HEATMAP_FONT) for x in xs), default=0)
    longest_y = max((label_width(html.unescape(y), HEATMAP_FONT) for y in ys), default=0)
    left = max(margin.l, math.ceil(longest_y + AXIS_ROOM))
    column = (SCREEN_WIDTH - left - margin.r - beside) / max(len(xs), 1)
    below, beyond = TICK_LINE, longest_x / 2 - column / 2  # a level label's half past its column's
    if longest_x + LABEL_GAP <= column:
        pass
    elif not every_column:
        every = math.ceil((max(label_width(html.unescape(x), TICK_FONT) for x in xs) + LABEL_GAP) / column)
        fig.update_xaxes(tickmode="array", tickvals=list(xs[::every]))
        beyond = longest_x / 2 - column * ((len(xs) - 1) % every + 0.5)  # the last label's, past the edge
    elif column >= 2 * TICK_LINE:  # tilted, they keep column × sin 30° apart; the last runs on to the right
        below, beyond = longest_x / 2 + TICK_LINE, longest_x * 0.87 - column / 2
    else:
        below = longest_x
    fig.update_layout(
        margin={
            "l": left,
            "b": max(margin.b, math.ceil(below + AXIS_ROOM)),
            "r": max(margin.r, math.ceil(beyond + LABEL_GAP)),
        }
    )


AXIS_ROOM = 30
"""px Plotly puts between a chart's edge and its tick labels (the axis's pad, a tick and a gap), and
a little to spare."""


def clickable_cells(
    fig: go.Figure, xs: list[str], ys: list[str], custom: Sequence[Sequence[object]], hover: str, size: int = 22
) -> None:
    """Plotly selects points, not heatmap cells: an invisible marker on every cell makes a click on
    it a selection that carries the cell's customdata (and its hover text). A marker ``size`` px
    wide must not be wider than a cell: Plotly counts every marker under the pointer as equally
    close and picks the last, the cell to the right."""
    fig.add_trace(
        go.Scatter(
            x=[x for _ in ys for x in xs],
            y=[y for y in ys for _ in xs],
            customdata=[cell for row in custom for cell in row],
            mode="markers",
            marker={"symbol": "square", "size": size, "opacity": 0},
            hovertemplate=hover,
            showlegend=False,
        )
    )


def bars_of(counts: pd.DataFrame) -> int:
    """The bars attendance_by_role draws for ``counts``: one a team's meeting (or month), its roles stacked."""
    return len(counts[["team_id", "period"]].drop_duplicates())


def attendance_by_role(counts: pd.DataFrame, period: str = "meeting") -> go.Figure:
    """Per team, people present by role category per meeting, or per month as the mean a meeting
    (stacked: definitions.PRESENT_BY_ROLE); people with lived experience patterned so they stand out."""
    names, left_out = first_teams(counts)
    monthly = period == "month"
    # a month's meetings as a number, on its bars only: as words on every bar they sent 68 KB more
    when = (
        "%{x|%b %Y}: %{y:.1f} present a meeting (meetings: %{customdata})" if monthly else "%{x|%d %b %Y}: %{y} present"
    )
    layout, cols = grid(names, left_out=left_out, bottom=FOOT)
    roles = [str(r) for r in counts["role"].unique()]  # in order of first appearance
    palette = ["#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#999999", "#332288"]
    traces: list[BaseTraceType] = []
    panels: list[int] = []
    for i, team in enumerate(rows_by_team(counts, names)):
        set_axes(layout, "x", time_ticks(team["period"], panel_width(cols)).layout(), panel=i)
        by_role = dict(iter(team.groupby("role", sort=False)))
        for j, role in enumerate(roles):
            part = by_role.get(role)
            if part is None:
                continue
            shown = plotly_text(role)
            lived = bool(part["lived_experience"].iloc[0])
            traces.append(
                go.Bar(
                    x=part["period"],
                    y=part["present"].round(3) if monthly else part["present"].astype(int),  # no 16-digit float
                    name=shown,
                    legendgroup=shown,
                    marker={"color": palette[j % len(palette)], "pattern": {"shape": "/" if lived else ""}},
                    width=bar_width(team["period"]),
                    customdata=part["meetings"].tolist() if monthly else None,
                    hovertemplate=when + "<extra>" + shown + "</extra>",
                )
            )
            panels.append(i)
    set_axes(layout, "y", {"title": {"text": "People present, mean a meeting" if monthly else "People present"}}, col=1)
    each = "a month: the mean a held meeting · " if monthly else ""
    return _grid_figure(
        layout,
        traces,
        panels,
        f"Who attended, by role<br><sup>{each}hatched: service users and carers</sup>" + left_out,
    )


SWIMLANE_LEFT = 200
"""px left of the swimlane for its people's codes (140 more than a panel's 60 px: PAGE_WIDTH's)."""


SWIM_MARK = 18
"""px of a swimlane's mark with its letter in it (● present, A apologies, ○ absent)."""
SMALLEST_MARK = 7
"""px of a swimlane's mark where meetings are too close for SWIM_MARK: no letter, a shape instead."""
SMALL_SHAPES = {"present": "circle", "apologies": "diamond-open", "absent": "circle-open"}
"""A small mark's shape, so that apologies and absence differ in more than their colour."""


def swim_mark(dates: pd.Series, width: float) -> int:
    """px of a swimlane's marks for meetings at ``dates`` drawn ``width`` px wide: SWIM_MARK where
    the meetings are that far apart (typically: the median gap), else that gap, no smaller than
    SMALLEST_MARK. Five years of a team's meetings put 18 px marks 3 px apart, each on the last."""
    days = pd.Series(pd.to_datetime(dates).unique()).sort_values()
    span = (days.iloc[-1] - days.iloc[0]) / pd.Timedelta(days=1) if len(days) > 1 else 0.0
    if span <= 0:
        return SWIM_MARK
    gap = float(days.diff().dt.days.median()) / span * width
    return int(min(SWIM_MARK, max(SMALLEST_MARK, gap)))


def swimlane(matrix: pd.DataFrame) -> go.Figure:
    """Each person with lived experience across a team's meetings: ● present, A apologies,
    ○ absent, nothing when not expected; where meetings are too close for those (swim_mark, in the
    narrowest window), smaller marks told apart by shape."""
    people = matrix[matrix["lived_experience"]]
    size = swim_mark(people["meeting_date"], NARROWEST - SWIMLANE_LEFT - 20) if not people.empty else SWIM_MARK
    lettered = size == SWIM_MARK
    fig = go.Figure()
    # present drawn last, over the rings of the meetings missed: five years of a team's meetings
    # crowd the marks, and who came is what the chart is read for (the legend keeps its order)
    drawn = sorted(enumerate(CELL_STYLE.items()), key=lambda item: item[1][0] == "present")
    for rank, (cell, (colour, mark, words, _, _)) in drawn:
        part = people[people["cell"] == cell]
        if cell in {"not_expected", "cancelled"} or part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                legendrank=rank,
                x=part["meeting_date"],
                y=[plotly_text(code) for code in part["row_label"]],  # participant codes: study text
                mode="markers+text" if lettered else "markers",
                text=[mark] * len(part) if lettered else None,
                textfont={"color": "white" if cell == "present" else colour, "size": 10},
                name=words,
                marker={
                    "size": size,
                    "symbol": "circle" if lettered else SMALL_SHAPES[cell],
                    "color": colour if cell == "present" or not lettered else "white",  # an open shape's line
                    "line": {"color": colour, "width": 2 if lettered else 1.5},
                },
                cliponaxis=False,  # the first and last meetings' marks whole, however narrow the window
                customdata=part["meeting_id"].tolist(),
                hovertemplate="%{y}, %{x|%d %b %Y}: " + words + "<extra></extra>",
            )
        )
    fig.update_yaxes(autorange="reversed", type="category")
    if not people.empty:
        fit_time_axis(fig, people["meeting_date"], PAGE_WIDTH - (SWIMLANE_LEFT - 60), bars=False)
    fig.update_layout(
        title={
            "text": "People with lived experience across the team's meetings<br><sup>who came once, who stayed</sup>"
        },
        height=max(220, 46 * people["row_label"].nunique() + 140),
        margin={"t": 80, "b": 40, "l": SWIMLANE_LEFT, "r": 20},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


CONTRIBUTION_SYMBOLS = {
    "spoke": "circle",
    "raised_item": "square",
    "proposed_change": "diamond",
    "challenged": "triangle-up",
    "took_action": "star",
}
"""Each kind of contribution by its own marker shape (labels.CONTRIBUTIONS names them)."""
KIND_LANE = 18
"""Pixels for each kind of contribution side by side in a person's row of the timeline: a mark's width and a gap."""
ROW_BAND = "rgba(127, 127, 127, 0.1)"
"""Every other person's row of the timeline: a light grey that shows on a white or a tinted background."""
STAFF_COLOUR = "#7F7F7F"


def contribution_timeline(timeline: pd.DataFrame) -> go.Figure:
    """A meeting's contributions, minute by person: one row per person (service users and carers
    first, then the others, each in the order they first contributed), a marker per kind of
    contribution at its minute — its shape the kind, blue for someone with lived experience and
    grey for the others, each kind a little above or below the others in the person's row, so
    that kinds made in the same minute stand side by side rather than on top of one another —
    and a larger marker where the same person made the same kind of contribution more than once
    in a minute. The minute axis is ticked at whole minutes. ``timeline`` has the columns of
    voice.timeline."""
    counted = (
        timeline.groupby(["minute", "code", "role", "lived_experience", "kind", "contribution"], sort=False)
        .size()
        .reset_index(name="times")
    )
    first = timeline.groupby("code", sort=False)["minute"].min()
    lived = timeline.groupby("code", sort=False)["lived_experience"].any()
    people = sorted(first.index, key=lambda code: (not lived[code], first[code], code))
    fig = go.Figure()
    for kind, symbol in CONTRIBUTION_SYMBOLS.items():
        for le in (True, False):
            part = counted[(counted["kind"] == kind) & (counted["lived_experience"] == le)]
            if part.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=part["minute"],
                    y=[plotly_text(code) for code in part["code"]],  # participant codes: study text
                    mode="markers",
                    name=str(part["contribution"].iloc[0]),
                    legendgroup=kind,
                    offsetgroup=kind,  # each kind its own height in a person's row: none hides another
                    orientation="h",  # ... side by side along the people's axis (layout.scattermode)
                    marker={
                        "symbol": symbol,
                        "size": [10 + 4 * min(t - 1, 3) for t in part["times"]],
                        "color": SU_COLOUR if le else STAFF_COLOUR,
                        "line": {"color": "white", "width": 1},
                    },
                    customdata=[
                        [plotly_text(str(role)), "" if t == 1 else f", {t} times"]
                        for role, t in zip(part["role"], part["times"], strict=True)
                    ],
                    hovertemplate="Minute %{x}: %{y} (%{customdata[0]}), "
                    + plotly_text(str(part["contribution"].iloc[0])).lower()
                    + "%{customdata[1]}<extra></extra>",
                )
            )
    legend_once(fig.data)
    fig.update_yaxes(  # the first person at the top; each row one unit, whole, however the kinds are spread in it
        type="category",
        categoryorder="array",
        categoryarray=[plotly_text(c) for c in people],
        range=[len(people) - 0.5, -0.5],
        autorange=False,
    )
    fig.update_xaxes(title_text="Minute of the meeting", rangemode="tozero", **whole_ticks(timeline["minute"].max(), 8))
    lanes = counted["kind"].nunique()  # the kinds side by side in each person's row
    rows = max(34, KIND_LANE * lanes + 12) * len(people)
    for i in range(0, len(people), 2):  # every other person's row banded: which row a mark is in shows
        fig.add_shape(
            type="rect", xref="paper", x0=0, x1=1, yref="y", y0=i - 0.5, y1=i + 0.5,
            fillcolor=ROW_BAND, line_width=0, layer="below",
        )  # fmt: skip
    fig.update_yaxes(showgrid=False)
    fig.update_layout(
        scattermode="group",
        scattergap=0.3,
        title={
            "text": "Each contribution at its minute<br><sup>blue: a service user or carer · grey: everyone else · "
            "each kind at its own height in a person's row · a larger mark: more than once in a minute</sup>"
        },
        height=rows + 80 + 130,
        margin={"t": 80, "b": 130, "l": 120, "r": 20},  # the axis's title, and the legend in up to two lines
        legend={"orientation": "h", "yanchor": "top", "y": -58 / rows, "x": 0},  # below the axis's title
    )
    return fig
