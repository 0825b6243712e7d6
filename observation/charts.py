"""Figures as pure functions: data in, a Plotly Figure out. Pages render them; nothing here draws.

Colours are from the Okabe-Ito palette (safe for colour-blind readers), and every series also
differs by line dash and marker symbol, so colour is never the only signal.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import html
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

from observation import qi, spc
from observation.plain import plotly_text

PRESENCE_COLOUR = "#0072B2"  # Okabe-Ito blue
MEANINGFUL_COLOUR = "#D55E00"  # Okabe-Ito vermillion
TARGET_COLOUR = "#555555"
EVENT_COLOUR = "#009E73"  # Okabe-Ito bluish green
EVENT_NOTE = "event"
"""The name every dated event's label carries, so that it can be told from a panel's title."""
EVENT_MARK = "event mark"
"""The name of the small mark (EVENT_MARK_TEXT) at the top of an event's line whose label found no
room beside the others on its panel: its hover names the event, as a label's does."""
EVENT_MARK_TEXT = "▾"
EVENT_STEM = "event stem"
"""The name of the thin line joining an event's label to the top of its line: a shape, not the
label's arrow, which Plotly measures in the browser one label at a time (a third of the time a
twelve-panel chart with its events took to draw, at national scale)."""
EVENT_FONT = 12
"""px: an event's label, horizontal, above its panel (it was 10 px, turned up its line, over the data)."""
EVENT_LANE = 24
"""px from one row of event labels to the next: room for presenter mode's 18 px text too."""
EVENT_RISE = 8
"""px from the top of a panel's plot area to its first row of event labels."""
MOST_EVENT_LANES = 3
"""Rows of event labels above a panel; a fourth event's label goes back to the first row."""
EVENT_LABEL_CHARS = 40
"""An event's label is cut at a word to about this many characters on the chart; its hover has it whole."""
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


LEAST_SPAN = pd.Timedelta(days=28)
"""The narrowest a time axis is drawn: the four weeks around a panel of one meeting (or of a few
days), where Plotly, left to itself, zoomed in to the millisecond either side of one instant."""
SHORT_AXIS = pd.Timedelta(days=62)
"""A time axis up to this long is ticked every week by its day ("3 Feb 2020"), a longer one by month."""
WEEK = 7 * 24 * 3600 * 1000
"""A week in milliseconds, Plotly's unit of a date axis's ``dtick`` and of a bar's width on it."""


def date_span(first: dt.date | str, last: dt.date | str, pad_days: float = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """What a time axis from ``first`` to ``last`` shows: ``pad_days`` wider each side, and at
    least LEAST_SPAN wide, around its middle."""
    pad = pd.Timedelta(days=pad_days)
    start, end = pd.Timestamp(first) - pad, pd.Timestamp(last) + pad
    short = LEAST_SPAN - (end - start)
    if short > pd.Timedelta(0):
        start, end = start - short / 2, end + short / 2
    return start, end


def date_axis(first: dt.date | str, last: dt.date | str, pad_days: float = 0) -> dict[str, object]:
    """A time axis from ``first`` to ``last`` (date_span): its range, fixed, and its ticks in dates,
    every week ("3 Feb 2020") on an axis of two months or less, else by month ("Feb 2020")."""
    start, end = date_span(first, last, pad_days)
    ticks: dict[str, object] = (
        {"tickformat": "%-d %b\n%Y", "dtick": WEEK, "tick0": "2000-01-03"}  # Mondays
        if end - start <= SHORT_AXIS
        else {"tickformat": "%b\n%Y", "dtick": month_ticks(pd.Timestamp(first).date(), pd.Timestamp(last).date())}
    )
    return {"range": [start.isoformat(), end.isoformat()], **ticks}


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


def whole_ticks(top: float, most: int = 6) -> dict[str, object]:
    """A Plotly axis's ticks for whole numbers from 0 to ``top`` (counts, minutes): every 1, 2 or 5
    times a power of ten, the smallest step that needs no more than ``most`` ticks above 0, so
    that no tick falls between two whole numbers (which ``tickformat="d"`` alone would print
    rounded: 0, 1, 1, 2, 2)."""
    steps = (m * 10**e for e in range(12) for m in (1, 2, 5))
    step = next(s for s in steps if s * most >= top or s >= 10**11)
    return {"tick0": 0, "dtick": step, "tickformat": "d"}


def marker_mode(points_per_panel: int) -> str:
    return "lines+markers" if points_per_panel <= MOST_MARKED_POINTS else "lines"


def rows_by_team(frame: pd.DataFrame, names: Sequence[str]) -> list[pd.DataFrame]:
    """``frame``'s rows of each team of ``names`` (by team_name), in their order: the frame gone
    through once, not once per team (a panel chart of twelve teams of a national study's rows)."""
    teams = dict(iter(frame[frame["team_name"].isin(names)].groupby("team_name", sort=False)))
    return [teams[name] for name in names]


def first_teams(frame: pd.DataFrame) -> tuple[list[str], str]:
    """At most MAX_SMALL_MULTIPLES of ``frame``'s team names, in its order, and a title line saying
    how many were left out ("" when none was), so that no chart is read as all the teams when it is
    not. A ``teams_in_filter`` column, where the query kept only the first teams, says how many
    there are."""
    every = [str(n) for n in frame["team_name"].unique()]  # in order of first appearance
    shown = every[:MAX_SMALL_MULTIPLES]
    teams = max(int(frame["teams_in_filter"].max()) if "teams_in_filter" in frame and len(frame) else 0, len(every))
    if len(shown) == teams:
        return shown, ""
    return shown, f"<br><sup>{len(shown)} of {teams:,} teams shown: choose teams in the sidebar to see others</sup>"


NARROWEST = 560
"""px of width a chart's text may take on a page: a chart is drawn 564 px wide in a window of 1,024 px
(a tablet held sideways) with the sidebar open, and its title starts 4 px in."""
NARROW_PLOT = NARROWEST - 80
"""px of plotting width a grid of panels has at NARROWEST: its margins take 60 px left, 20 right."""
PANEL_TITLE_FONT = 16
"""px of a panel's title, as panel_grid sets it."""


def wrap(title: str, cols: int = 1) -> str:
    """A panel title (a team's name: study text, shown as typed) broken between words into as few
    lines as fit one of ``cols`` panels side by side at NARROW_PLOT, as even as they can be, so that
    neighbouring panels' titles never run together (at 24 characters a line, two teams' "…brain-injury
    team" read as one in a 1,024 px window); a single word wider than that stays whole."""
    words = str(title).split()

    def width(line: Sequence[str]) -> float:
        return label_width(" ".join(line), PANEL_TITLE_FONT) - LABEL_PAD

    room = panel_width(cols, NARROW_PLOT)
    lines = 1  # how many it takes, word by word
    line: list[str] = []
    for word in words:
        if line and width([*line, word]) > room:
            lines, line = lines + 1, []
        line.append(word)
    cuts = min(
        itertools.combinations(range(1, len(words)), lines - 1),
        key=lambda at: max(width(words[a:b]) for a, b in itertools.pairwise((0, *at, len(words)))),
        default=(),
    )
    return "<br>".join(plotly_text(" ".join(words[a:b])) for a, b in itertools.pairwise((0, *cuts, len(words))))


def labels_fit(layout: dict[str, Any]) -> None:
    """The panels' axes keep the margins the figure gives them (room made for their labels) rather
    than measuring their labels to grow them, as the page's look would have them ("automargin"):
    the labels fit, and the measuring took half of the browser's drawing of a twelve-panel chart.
    A slide or presenter mode, whose text is larger, measures again (figures.for_a_room)."""
    set_axes(layout, "x", {"automargin": False})
    set_axes(layout, "y", {"automargin": False})


# A panel chart is built as Plotly's JSON (a layout dict, its traces) and made a Figure once, by
# assemble: Plotly checks a whole figure on each update of it, and make_subplots, update_xaxes and
# update_layout on a twelve-panel figure took three quarters of building it (0.15 of 0.2 s).


def panel_grid(
    rows: int,
    cols: int,
    titles: Sequence[str],
    *,
    shared_x: bool = False,
    shared_y: bool = False,
    horizontal_spacing: float = 0.2,
    vertical_spacing: float = 0.3,
) -> dict[str, Any]:
    """The layout (Plotly's JSON) that plotly's make_subplots gives ``rows`` × ``cols`` panels
    titled ``titles`` in order, row by row, worked out as make_subplots works it out (its domains,
    anchors, shared axes and title annotations; a test compares the two on every grid the charts
    use): make_subplots checks every part as it builds it, 45 ms for twelve panels (kept per grid
    before, so a page's first visit and a filter change to a new grid paid it) and 8 ms for one."""
    across, down = horizontal_spacing, vertical_spacing
    widths = [(1.0 - across * (cols - 1)) / cols] * cols
    heights = [(1.0 - down * (rows - 1)) / rows] * rows
    starts = [
        [(sum(widths[:c]) + c * across, sum(heights[:r]) + r * down) for c in range(cols)] for r in range(rows)[::-1]
    ]
    layout: dict[str, Any] = {}
    domains: list[tuple[list[float], list[float]]] = []
    for r in range(rows):  # top to bottom, as the panels are numbered
        for c in range(cols):
            x, y = starts[r][c]
            x_domain = [x, x + widths[c]]
            y_domain = [min(max(y, 0.0), 1.0), min(max(y + heights[-1 - r], 0.0), 1.0)]
            n = _axes(r * cols + c)
            layout[f"xaxis{n}"] = {"anchor": f"y{n}", "domain": x_domain}
            layout[f"yaxis{n}"] = {"anchor": f"x{n}", "domain": y_domain}
            domains.append((x_domain, y_domain))
    for shared, letter, lines in (
        (shared_x, "x", [[r * cols + c for r in reversed(range(rows))] for c in range(cols)]),  # a column, bottom first
        (shared_y, "y", [[r * cols + c for c in range(cols)] for r in reversed(range(rows))]),  # a row, left first
    ):
        for first, *others in lines if shared else ():
            for panel in others:
                layout[f"{letter}axis{_axes(panel)}"] |= {"matches": f"{letter}{_axes(first)}", "showticklabels": False}
    if titles:
        layout["annotations"] = [
            {"font": {"size": PANEL_TITLE_FONT}, "showarrow": False, "text": title, "x": sum(x_domain) / 2.0,
             "xanchor": "center", "xref": "paper", "y": y_domain[1], "yanchor": "bottom", "yref": "paper"}
            for title, (x_domain, y_domain) in zip(titles, domains, strict=False)
        ]  # fmt: skip
    return layout


def set_axes(
    layout: dict[str, Any],
    letter: Literal["x", "y"],
    props: dict[str, Any],
    *,
    col: int | None = None,
    panel: int | None = None,
) -> None:
    """``props`` set on the ``letter`` axes of a panel grid's ``layout`` (nested objects merged, as
    Plotly's update_xaxes merges them): every one, those of column ``col`` (1-based; the layout's
    columns read from its x axes' domains), or panel ``panel``'s (0-based, row by row)."""
    names = [name for name in layout if re.fullmatch(rf"{letter}axis\d*", name)]
    if col is not None:
        lefts = sorted({layout[f"xaxis{n[5:]}"]["domain"][0] for n in names})
        names = [n for n in names if layout[f"xaxis{n[5:]}"]["domain"][0] == lefts[col - 1]]
    if panel is not None:
        names = [f"{letter}axis{_axes(panel)}"]
    for name in names:
        _merge(layout.setdefault(name, {}), props)


def _merge(into: dict[str, Any], props: dict[str, Any]) -> None:
    """``props`` merged into ``into``, each given object or list a copy of its own (one set on
    twelve axes is not one object twelve axes share, for a later change to one to reach all)."""
    for key, value in props.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value


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
    names = [str(n) for n in trend["team_name"].unique()[:MAX_SMALL_MULTIPLES]]
    cols = min(3, max(1, len(names)))
    teams = rows_by_team(trend, names)
    span = _trend_span(trend, period, events)
    placed = [place_events(_events_of(events, team["team_id"].iloc[0]), span, cols) for team in teams]
    layout = _panel_layout(len(names), cols, [_lanes(p) for p in placed])
    grid = panel_grid(
        layout.rows,
        cols,
        [wrap(n, cols) for n in names] or ["No held meetings"],
        shared_x=True,
        shared_y=True,
        horizontal_spacing=PANEL_GAP,
        vertical_spacing=layout.spacing,
    )
    traces: list[go.Scatter] = []
    panels_of: list[int] = []
    marks: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    per_team = trend.groupby("team_id")["month"].count()
    mode = marker_mode(int(per_team.max()) if not trend.empty else 0)
    for i, team in enumerate(teams):
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
        marks += _event_marks(placed[i], i)
    shortest = int(per_team.min()) if not trend.empty else 0
    caveat = (
        f" · {shortest} {period}ly points or fewer: read as a description, not a signal"
        if 0 < shortest < SHORT_SERIES
        else ""
    )
    set_axes(grid, "y", {"range": [0, 1.05], "tickformat": ".0%", "title": {"text": "Held meetings"}}, col=1)
    set_axes(grid, "y", {"range": [0, 1.05], "tickformat": ".0%"})
    if not trend.empty:
        set_axes(grid, "x", _time_axis(*_trend_dates(trend, events), period, cols))
    title = (
        f"Service users and carers at held meetings, by {period}"
        f"<br><sup>Dotted line: meaningful-involvement target {target:.0%}{caveat}{note}</sup>"
    )
    return _panels_figure(grid, layout, title, traces, panels_of, marks)


TREND_PADS = {"month": pd.Timedelta(days=10), "quarter": pd.Timedelta(days=46)}
"""How much wider than its first and last point a trend's time axis is, each side."""


def _trend_dates(trend: pd.DataFrame, events: pd.DataFrame | None) -> tuple[dt.date, dt.date]:
    """The first and last date a (non-empty) trend's time axis covers: its first and last point,
    and its dated events before or after them (the caller passes the events of the filter's dates),
    each of which, on an axis fixed to the points alone, Plotly left out, label and line."""
    days = [pd.Timestamp(trend["month"].min()), pd.Timestamp(trend["month"].max())]
    if events is not None and not events.empty:
        days += [pd.Timestamp(events["event_date"].min()), pd.Timestamp(events["event_date"].max())]
    return min(days).date(), max(days).date()


def _trend_span(trend: pd.DataFrame, period: str, events: pd.DataFrame | None = None) -> tuple[dt.date, dt.date] | None:
    """The first and last date a trend's time axis shows, as _time_axis draws it."""
    if trend.empty:
        return None
    pad = TREND_PADS.get(period, TREND_PADS["month"])
    first, last = _trend_dates(trend, events)
    return (pd.Timestamp(first) - pad).date(), (pd.Timestamp(last) + pad).date()


def _events_of(events: pd.DataFrame | None, team_id: object) -> list[tuple[dt.date, str]]:
    """The dated events drawn on a team's panel: its own and the study-wide ones (no team)."""
    if events is None or events.empty:
        return []
    mine = events[events["team_id"].isna() | (events["team_id"] == team_id)]
    pairs = zip(mine["event_date"], mine["label"], strict=True)
    return [(pd.Timestamp(day).date(), str(label)) for day, label in pairs]


TOP_TITLE: dict[str, Any] = {"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 16}}
"""A title at the top of the figure, clear of the panel titles raised over the events' labels
(by default Plotly centres it in the top margin)."""
PANEL_HEIGHT = 320
"""px a row of small multiples takes, its gap below included."""
PANELS_TOP, PANELS_BOTTOM = 135, 80
"""px above the panels (title, subtitle, panel titles) and below them (ticks and legend)."""


@dataclass(frozen=True, slots=True)
class PanelLayout:
    """Where small multiples go once each row has room above it for its events' labels."""

    rows: int
    spacing: float
    """make_subplots' vertical_spacing: the gap between rows as a share of the plotting height."""
    height: int
    top: int
    """The figure's top margin."""
    lifts: tuple[int, ...]
    """px each panel's title is raised to clear its row's event labels."""


def _panel_layout(panels: int, cols: int, lanes: Sequence[int]) -> PanelLayout:
    """``panels`` small multiples in ``cols`` columns, with ``lanes[i]`` rows of event labels above
    panel i: each row of panels gets the room its labels need above it, the panel titles rise over
    them, and the plotting height stays what it was without events."""
    rows = max(1, -(-panels // cols))
    lanes = [max(lanes[r * cols : (r + 1) * cols], default=0) for r in range(rows)]
    lifts = [EVENT_RISE + n * EVENT_LANE if n else 0 for n in lanes]
    gap = 0.12 * (PANEL_HEIGHT * rows + 100 - PANELS_TOP - PANELS_BOTTOM) if rows > 1 else 0.0
    extra = max(lifts[1:], default=0)  # every gap between rows is the same: the widest one needs
    height = PANEL_HEIGHT * rows + 100 + lifts[0] + (rows - 1) * extra
    plotting = height - PANELS_TOP - lifts[0] - PANELS_BOTTOM
    return PanelLayout(
        rows=rows,
        spacing=(gap + extra) / plotting if rows > 1 else 0.0,
        height=height,
        top=PANELS_TOP + lifts[0],
        lifts=tuple(lifts[i // cols] for i in range(panels)),
    )


def _panels_figure(
    grid: dict[str, Any],
    layout: PanelLayout,
    title: str,
    traces: Sequence[BaseTraceType],
    panels: Sequence[int],
    marks: Sequence[tuple[dict[str, Any], dict[str, Any] | None]],
) -> go.Figure:
    """The small multiples of the trend and the QI chart as one figure: the panel titles raised
    over their events' labels, the title at the top, the legend under the panels."""
    _lift_titles(grid, layout)
    labels_fit(grid)
    return assemble(
        grid,
        traces,
        panels,
        marks,
        title={"text": title, **TOP_TITLE},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22 / layout.rows, "x": 0},
        height=layout.height,
        margin={"t": layout.top, "b": PANELS_BOTTOM, "l": 60, "r": 20},
        hovermode="closest",
    )


def _lift_titles(grid: dict[str, Any], layout: PanelLayout) -> None:
    """Raise each panel's title (the grid's first annotations) over its row's event labels."""
    for note, lift in zip(grid.get("annotations", ()), layout.lifts, strict=False):
        if lift:
            note["yshift"] = lift


def _time_axis(first: dt.date, last: dt.date, period: str, cols: int) -> dict[str, object]:
    """The trend's time axis: months as "Jan 2020"; quarters as "2020 Q1", a tick each (every
    second when crowded), the range half a quarter wider each side so that the first and last
    labels stay under their own panel. ``first`` and ``last`` take in the events (_trend_dates): the
    range is set, not left to Plotly, which would widen it to hold the events' labels, and Plotly
    leaves out an event off the range."""
    pad = TREND_PADS.get(period, TREND_PADS["month"])
    start, end = pd.Timestamp(first) - pad, pd.Timestamp(last) + pad
    if period != "quarter":
        return {
            "tickformat": "%b\n%Y",
            "dtick": month_ticks(first, last),
            "range": [start.isoformat(), end.isoformat()],
        }
    return {
        "tickformat": QUARTER_FORMAT,
        "dtick": quarter_ticks(first, last, QUARTER_LABELS[cols]),
        "range": [start.isoformat(), end.isoformat()],
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


@dataclass(frozen=True, slots=True)
class EventLabel:
    """Where one dated event's label goes above its panel."""

    day: dt.date
    label: str
    lane: int
    """The row of labels, 0 just above the plot area."""
    side: Side
    """Which part of the label sits on the event's line: its left end, its middle or its right end."""
    shown: str = ""
    """The label as the chart shows it: whole, or cut at a word (short_label); "" for
    short_label's cut to EVENT_LABEL_CHARS."""
    labelled: bool = True
    """False where the label found no room beside the others: the event is drawn by its line and a
    mark at its top (EVENT_MARK), its hover naming it."""


Side = Literal["left", "center", "right"]
SIDES: tuple[Side, ...] = ("left", "center", "right")
Option = tuple[int, Side, str]
"""Where a label may go: its row, its side of the line, and its text there, whole or cut."""
CROWDED_CHARS = 12
"""The fewest characters a label is cut to. A label that would leave its panel, or cover another
label or its stem, is cut a word at a time (from EVENT_LABEL_CHARS) no more than it must be."""
PANEL_GAP = 0.04
"""The gap between panels side by side, as a share of the figure's plotting width (make_subplots'
horizontal_spacing): no label reaches into it, so the labels of neighbouring panels stay at least
this far apart (about 33 px on a laptop) and never read as one line."""
PAGE_WIDTH = 830
"""px of plotting width a chart has on a page (837 in a 1400 px window with the sidebar open, 877 at
1440): label widths are weighed against it, as the figure is built before it knows its width."""
SCREEN_WIDTH = PAGE_WIDTH + 80
"""px a chart is drawn on a page: PAGE_WIDTH of plotting area between a panel chart's margins
(60 and 20 px), the width its labels are placed for; the page's width in a window of 1,370 px
and more with the sidebar open (figures.for_screen sets it)."""
LABEL_GAP = 8
"""px kept between two labels on one row, and between a label and another's stem."""
LABEL_PAD = 6
"""px a label's box takes beside its text: Plotly's border and padding, and room for error."""
EM = {
    **dict.fromkeys(" ", 0.2), **dict.fromkeys("',.:;ijl|’", 0.26), **dict.fromkeys("I!f", 0.3),
    **dict.fromkeys("()[]{}-t", 0.33), **dict.fromkeys("/\\r", 0.36), **dict.fromkeys('*s"?zc', 0.44),
    **dict.fromkeys("Jxvy–Y", 0.48), **dict.fromkeys("L0123456789#$+<=>F^_ek~", 0.5),
    **dict.fromkeys("agX", 0.52), **dict.fromkeys("ESVZATC`hnou", 0.55), **dict.fromkeys("bdpqPR", 0.57),
    **dict.fromkeys("KB", 0.6), **dict.fromkeys("&DG", 0.62), **dict.fromkeys("NUHOQ", 0.67),
    **dict.fromkeys("wM", 0.73), **dict.fromkeys("W", 0.8), **dict.fromkeys("%m@", 0.85),
    **dict.fromkeys("…", 0.95),
}  # fmt: skip
"""Each character's width in the charts' typeface (Source Sans, as Streamlit draws Plotly's text),
as a share of the font size, measured in Chromium and rounded up."""
OTHER_EM = 0.6
"""The width of a character not in EM (an accented or other letter), as a share of the font size."""
MOST_SEARCHED = 4
"""Events on one panel up to which every placement of their labels is weighed (a few milliseconds);
beyond, each label in turn where it costs least beside those already placed."""


def label_width(text: str, size: float = EVENT_FONT) -> float:
    """px that ``text`` (as typed, not as Plotly's entities) takes at ``size`` px in the charts'
    typeface, its box's border and padding included: a little more than Chromium draws, never less."""
    ems = sum(EM.get(ch, 1.0 if unicodedata.east_asian_width(ch) in "WF" else OTHER_EM) for ch in text)
    return ems * size + LABEL_PAD


def panel_width(cols: int, page: float = PAGE_WIDTH) -> float:
    """px of one of ``cols`` panels side by side, ``PANEL_GAP`` apart, in ``page`` px of plotting width."""
    return page * (1 - PANEL_GAP * (cols - 1)) / cols


def place_events(
    events: Sequence[tuple[dt.date, str]],
    span: tuple[dt.date, dt.date] | None,
    cols: int = 1,
    font: float = EVENT_FONT,
    most_lanes: int = MOST_EVENT_LANES,
    page: float = PAGE_WIDTH,
) -> tuple[EventLabel, ...]:
    """Where the labels of one panel's dated events go, by date: each on a row above the plot area
    (at most ``most_lanes`` rows) and on one side of its line, so that no label leaves its panel
    (nor reaches into the gap, where it would meet the next panel's labels and read as one line
    with them), no two labels overlap, and no label's stem (the thin line joining it to its event)
    runs through a lower label, as far as that can be done by cutting a label shorter (a word at a
    time, no more than it must be); then in as few rows as will do. ``span`` is the panel's first and last
    date; ``cols`` the panels side by side in ``page`` px, for the panel's width; ``font`` the
    labels' size."""
    ordered = sorted(events, key=lambda event: event[0])
    if not ordered:
        return ()
    panel = panel_width(cols, page)
    first, last = (pd.Timestamp(d) for d in span) if span else (pd.Timestamp(ordered[0][0]),) * 2
    length = (last - first) / pd.Timedelta(days=1)
    at = np.array(
        [
            min(max((pd.Timestamp(day) - first) / pd.Timedelta(days=1) / length, 0.0), 1.0) if length > 0 else 0.5
            for day, _ in ordered
        ]
    )
    lanes = range(min(len(ordered), max(1, most_lanes)))
    anchor = {"left": 0.0, "center": 0.5, "right": 1.0}
    options: list[list[Option]] = []
    row, low, high, own = [], [], [], []
    for i, (_, label) in enumerate(ordered):
        # a row, a side of its line, and the label whole or cut a word at a time; only those within
        # the panel, unless none is
        cuts = dict.fromkeys(short_label(label, most) for most in range(EVENT_LABEL_CHARS, CROWDED_CHARS - 1, -1))
        mine = [(lane, side, text) for lane in lanes for side in SIDES for text in cuts]
        wide = np.array([label_width(text, font) / panel for _, _, text in mine])
        left = at[i] - np.array([anchor[side] for _, side, _ in mine]) * wide
        out = np.maximum(0.0, -left) + np.maximum(0.0, left + wide - 1)  # past the panel's edge, into the gap
        keep = np.flatnonzero(out < 1e-9) if (out < 1e-9).any() else np.arange(len(mine))
        options.append([mine[k] for k in keep])
        row.append(np.array([lane for lane, _, _ in options[i]]))
        low.append(left[keep])
        high.append(left[keep] + wide[keep])
        lost = np.array([len(label) - len(text.removesuffix("…")) for _, _, text in options[i]])
        cost = 100 * (out[keep] > 1e-9) * (1 + out[keep]) + 0.3 * row[i] + np.where(lost > 0, 4 + 0.25 * lost, 0.0)
        own.append(cost)
    gap = LABEL_GAP / panel

    def together(i: int, j: int) -> np.ndarray:
        """What label i (rows: its options) and label j (columns: its options) cost together."""
        below, above = row[i][:, None] < row[j][None, :], row[i][:, None] > row[j][None, :]
        overlap = (low[i][:, None] < high[j][None, :] + gap) & (low[j][None, :] < high[i][:, None] + gap)
        j_through_i = below & (low[i][:, None] - gap < at[j]) & (at[j] < high[i][:, None] + gap)
        i_through_j = above & (low[j][None, :] - gap < at[i]) & (at[i] < high[j][None, :] + gap)
        cost: np.ndarray = 100.0 * (~below & ~above & overlap) + 10.0 * (j_through_i | i_through_j)
        return cost

    count = len(ordered)
    if count <= MOST_SEARCHED:
        pairs = [[together(i, j) for i in range(j)] for j in range(count)]
        chosen, labelled = _cheapest(own, pairs), [True] * count
    else:
        chosen, labelled = _near_at_a_time(own, Reach(at, row, low, high, gap))
    return tuple(
        EventLabel(day, label, *options[i][o], labelled=labelled[i])
        for i, ((day, label), o) in enumerate(zip(ordered, chosen, strict=True))
    )


@dataclass(frozen=True, slots=True)
class Reach:
    """Where one panel's labels may go, by label (in date order), by option, as shares of the
    panel's width: ``at`` each event's line, ``row`` each option's row, ``low`` and ``high`` its ends;
    ``gap`` kept between labels."""

    at: np.ndarray
    row: list[np.ndarray]
    low: list[np.ndarray]
    high: list[np.ndarray]
    gap: float

    def beside(self, i: int, a: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """What each option of label j costs beside label i at option a: for overlapping it, and
        for a stem running through the other's label (place_events' ``together``, one row of it)."""
        row, low, high, at, gap = self.row, self.low, self.high, self.at, self.gap
        below, above = row[i][a] < row[j], row[i][a] > row[j]
        overlap = (low[i][a] < high[j] + gap) & (low[j] < high[i][a] + gap)
        j_through_i = below & (low[i][a] - gap < at[j]) & (at[j] < high[i][a] + gap)
        i_through_j = above & (low[j] - gap < at[i]) & (at[i] < high[j] + gap)
        return 100.0 * (~below & ~above & overlap), 10.0 * (j_through_i | i_through_j)


def _near_at_a_time(own: Costs, reach: Reach) -> tuple[list[int], list[bool]]:
    """Each label in turn (by date) at the option that costs least beside the labels already placed
    that it could meet (sorted by date, only those whose line is within the widest label's reach,
    so the work grows with the events, not with their pairs); a label that would overlap one of them,
    or cross or be crossed by a stem, wherever it went is left off, its event shown by its line and a
    mark with its hover."""
    widest = max(float((h - lo).max()) for h, lo in zip(reach.high, reach.low, strict=True)) + reach.gap
    chosen: list[int] = []
    labelled: list[bool] = []
    shown: list[int] = []  # the labelled ones so far, by date
    shown_at: list[float] = []
    for j in range(len(own)):
        start = bisect.bisect_left(shown_at, float(reach.low[j].min()) - widest)
        overlap, stems = np.zeros_like(own[j]), np.zeros_like(own[j])
        for i in shown[start:]:
            a = chosen[i]
            if reach.high[i][a] + reach.gap > reach.low[j].min() and reach.low[i][a] - reach.gap < reach.high[j].max():
                more, stem = reach.beside(i, a, j)
                overlap, stems = overlap + more, stems + stem
        b = int(np.argmin(own[j] + overlap + stems))
        chosen.append(b)
        labelled.append(bool(overlap[b] + stems[b] == 0))
        if labelled[-1]:
            shown.append(j)
            shown_at.append(float(reach.at[j]))
    return chosen, labelled


Costs = list[np.ndarray]
"""By label, by option: what placing the label so costs on its own."""
PairCosts = list[list[np.ndarray]]
"""``pairs[j][i][a, b]``, for i < j: what label i at option a and label j at option b cost together."""


def _beside(j: int, own: Costs, pairs: PairCosts, placed: Sequence[int]) -> np.ndarray:
    """What each option of label j costs, on its own and beside the labels before it as ``placed``."""
    costs: np.ndarray = own[j] + sum((pairs[j][i][a] for i, a in enumerate(placed)), np.zeros_like(own[j]))
    return costs


def _one_at_a_time(own: Costs, pairs: PairCosts) -> list[int]:
    """Each label in turn at the option that costs least beside those already placed."""
    chosen: list[int] = []
    for j in range(len(own)):
        chosen.append(int(np.argmin(_beside(j, own, pairs, chosen))))
    return chosen


def _cheapest(own: Costs, pairs: PairCosts) -> list[int]:
    """The placement of the labels costing least, searched depth first from the one-at-a-time
    answer, each label's options cheapest first beside those placed, and cut wherever a part, with
    the least the labels still to place could cost on their own, costs at least the best found."""
    best = _one_at_a_time(own, pairs)
    best_cost = sum(float(_beside(j, own, pairs, best[:j])[b]) for j, b in enumerate(best))
    least = [sum(float(costs.min()) for costs in own[j + 1 :]) for j in range(len(own))]
    placed: list[int] = []

    def search(spent: float) -> None:
        nonlocal best, best_cost
        j = len(placed)
        if j == len(own):
            best, best_cost = list(placed), spent
            return
        costs = _beside(j, own, pairs, placed)
        for b in np.argsort(costs, kind="stable"):
            if spent + costs[b] + least[j] >= best_cost:
                break  # and so does every option after it
            placed.append(int(b))
            search(spent + float(costs[b]))
            placed.pop()

    search(0.0)
    return best


def place_labels_again(layout: dict[str, Any], font: float, page: float = PAGE_WIDTH) -> None:
    """The event labels of a built figure's ``layout`` (as ``to_plotly_json`` gives it) placed again,
    in place, for text of ``font`` px in ``page`` px of plotting width (presenter mode's and a
    slide's larger text, which would otherwise reach past its panel and meet its neighbour's), each
    panel in the rows of labels its row of panels already has room for. A label's text, row and
    side change; its line and its hover stay."""
    panels: dict[str, list[dict[str, Any]]] = {}
    for note in layout.get("annotations") or ():
        if note.get("name") in (EVENT_NOTE, EVENT_MARK) and note.get("hovertext"):
            panels.setdefault(str(note["xref"]), []).append(note)

    def axis(ref: str) -> dict[str, Any]:
        found: dict[str, Any] = layout.get(f"{ref[0]}axis{ref[1:]}") or {}
        return found

    def row_of(ref: str) -> tuple[float, ...]:
        return tuple(axis(str(axis(ref).get("anchor") or "y")).get("domain") or (0.0, 1.0))

    x_refs = [f"x{name[5:]}" for name in layout if re.fullmatch(r"xaxis\d*", name)]
    lanes: dict[tuple[float, ...], int] = {}
    for ref, notes in panels.items():
        labels = (n for n in notes if n["name"] == EVENT_NOTE)  # a mark takes no row
        rows = (round((float(n.get("yshift") or 0) - EVENT_RISE) / EVENT_LANE) + 1 for n in labels)
        lanes[row_of(ref)] = max(lanes.get(row_of(ref), 1), *rows)
    for ref, notes in panels.items():
        span = axis(ref).get("range")
        if not span:
            continue
        cols = sum(row_of(other) == row_of(ref) for other in x_refs)
        notes.sort(key=lambda note: pd.Timestamp(note["x"]))
        events = [(pd.Timestamp(n["x"]).date(), html.unescape(str(n["hovertext"]).rpartition(" (")[0])) for n in notes]
        first, last = (pd.Timestamp(d) for d in span)
        placed = place_events(events, (first, last), max(cols, 1), font, lanes[row_of(ref)], page)
        for note, label in zip(notes, placed, strict=True):
            note.update(_label_form(label))
    notes = [note for placed in panels.values() for note in placed]
    others = [shape for shape in layout.get("shapes") or () if shape.get("name") != EVENT_STEM]
    layout["shapes"] = [*others, *(_stem(note) for note in notes if note["name"] == EVENT_NOTE)]


def _event_marks(placed: Sequence[EventLabel], panel: int) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    marks: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for e in placed:
        line, note = _event_mark(e.day, e.label, panel, e.lane, e.side, e.shown, e.labelled)
        marks.append((line, note))
        if note["name"] == EVENT_NOTE:
            marks.append((_stem(note), None))
    return marks


def _label_form(label: EventLabel) -> dict[str, object]:
    """What a dated event's note shows as placed: its label on its row and side (joined to its line
    by a stem, _stem); or, left unlabelled, a small mark at the top of its line (its hover stays the
    same)."""
    if not label.labelled:
        return {"name": EVENT_MARK, "text": EVENT_MARK_TEXT, "yshift": 0, "xanchor": "center"}
    return {
        "name": EVENT_NOTE, "text": plotly_text(label.shown or short_label(label.label)),
        "yshift": EVENT_RISE + label.lane * EVENT_LANE, "xanchor": label.side,
    }  # fmt: skip


def _stem(note: dict[str, Any]) -> dict[str, Any]:
    """The thin line from the top of an event's line up to its label ``note``, as high as the label
    is raised."""
    return {
        "type": "line", "name": EVENT_STEM, "xref": note["xref"], "x0": note["x"], "x1": note["x"],
        "yref": note["yref"], "ysizemode": "pixel", "yanchor": 1, "y0": 0, "y1": note["yshift"],
        "line": {"color": EVENT_COLOUR, "width": 1},
    }  # fmt: skip


def _lanes(placed: Sequence[EventLabel]) -> int:
    """The rows of labels a panel's events take."""
    return max((e.lane + 1 for e in placed), default=0)


def short_label(label: str, most: int = EVENT_LABEL_CHARS) -> str:
    """``label`` cut at a word to at most ``most`` characters and "…" (a long word, such as an
    address, that a cut at a word would leave too little of is cut inside it); unchanged when it is
    short enough."""
    if len(label) <= most:
        return label
    cut = label[: most - 1].rstrip()
    word = cut[: cut.rfind(" ")].rstrip(" ,;:-–") if " " in cut else ""
    return f"{word if len(word) >= most // 2 else cut}…"


def _event_mark(
    day: dt.date, label: str, panel: int, lane: int = 0, side: Side = "center", shown: str = "", labelled: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dated event on one panel: a dashed vertical line across it, and its label above the plot
    area, horizontal, on row ``lane`` of the labels, joined to the line by a thin stem. A long label
    is shortened on the chart (to ``shown``, or else by short_label); hovering it shows it whole,
    with the date. The label is study text,
    shown as typed (presenter mode passes the event's kind instead of its wording)."""
    when = pd.Timestamp(day).isoformat()
    x, y = f"x{_axes(panel)}", f"y{_axes(panel)} domain"
    line = {"type": "line", "xref": x, "x0": when, "x1": when, "yref": y, "y0": 0, "y1": 1,
            "line": {"color": EVENT_COLOUR, "width": 1.5, "dash": "longdash"}}  # fmt: skip
    note = {
        "xref": x, "x": when, "yref": y, "y": 1, "showarrow": False, "yanchor": "bottom",
        "font": {"size": EVENT_FONT, "color": EVENT_COLOUR},
        "hovertext": f"{plotly_text(label)} ({pd.Timestamp(day):%d %b %Y})",
        **_label_form(EventLabel(day, label, lane, side, shown, labelled)),
    }  # fmt: skip
    return line, note


def assemble(
    layout: dict[str, Any],
    traces: Sequence[BaseTraceType],
    panels: Sequence[int],
    marks: Sequence[tuple[dict[str, Any], dict[str, Any] | None]] = (),
    **updates: Any,
) -> go.Figure:
    """The panel grid ``layout`` (panel_grid's) with the traces (each on its 0-based panel), the
    shapes and notes, and ``updates`` to the layout (nested objects merged), made a Figure once:
    Plotly checks every part of a figure again on each update of it, which took longer than
    building it (a tenth of a second for twelve panels). Not checked as a whole either (40-60 ms):
    its traces were checked as they were made, its grid is make_subplots', and a test checks every
    figure the app draws against a checked copy."""
    shapes = [shape for shape, _ in marks if shape]  # a note alone has an empty shape
    notes = [*layout.get("annotations", ()), *(note for _, note in marks if note is not None)]
    layout = {**layout, **({"shapes": shapes} if shapes else {}), **({"annotations": notes} if notes else {})}
    _merge(layout, updates)
    data = [
        trace.to_plotly_json() | {"xaxis": f"x{_axes(panel)}", "yaxis": f"y{_axes(panel)}"}
        for trace, panel in zip(traces, panels, strict=True)
    ]
    return go.Figure(data=data, layout=layout, _validate=False)


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
    dates = [d for p in shown for d in (*p.dates, *(p.span or ()))]
    dates += [day for p in shown for day, _ in p.events] if dates else []  # an event past the points shows too
    axis = date_axis(min(dates), max(dates), pad_days=10) if dates else {}
    span = date_span(min(dates), max(dates), pad_days=10) if dates else None  # the axis's range
    placed = [place_events(p.events, span, cols) for p in shown]
    layout = _panel_layout(len(shown), cols, [_lanes(p) for p in placed])
    grid = panel_grid(
        layout.rows,
        cols,
        [wrap(p.team_name, cols) for p in shown] or ["No held meetings with attendance recorded"],
        shared_y=True,
        horizontal_spacing=PANEL_GAP,
        vertical_spacing=layout.spacing,
    )
    legend_seen: set[str] = set()
    traces: list[go.Scatter] = []
    panels_of: list[int] = []
    marks: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
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
        marks += _event_marks(placed[i], i)
    notes = _qi_notes(shown, choice)
    if choice.rebase:
        notes.append("rebased at the team's own dated events")
    if target is not None and spec.has_target and not gaps:
        notes.append(f"dotted line: target {target:.0%}")
    if gaps or spec.kind == "count":  # whole numbers from 0: gaps in held meetings, or a count at each meeting
        set_axes(grid, "y", {"rangemode": "tozero", **whole_ticks(_highest(traces))})
        set_axes(grid, "y", {"title": {"text": "Held meetings without" if gaps else spec.label}}, col=1)
    elif spec.kind == "mean":  # a score of 1 to 5
        set_axes(grid, "y", {"range": [0.9, 5.1], "tickvals": [1, 2, 3, 4, 5]})
        set_axes(grid, "y", {"title": {"text": spec.label}}, col=1)
    else:
        set_axes(grid, "y", {"range": [-0.02, 1.05], "tickformat": ".0%"})
        set_axes(grid, "y", {"title": {"text": spec.label}}, col=1)
    if axis:  # every panel over the same period, so the teams line up and a g-chart's open gap shows
        set_axes(grid, "x", {"range": axis["range"]})
    if choice.subgrouped and choice.subgroup == "quarter":
        quarters = sorted({d for p in shown for d in p.dates})
        every = quarters[:: -(-len(quarters) // 8)]  # at most eight labels a panel, as month_ticks keeps months
        set_axes(
            grid,
            "x",
            {
                "tickvals": [d.isoformat() for d in every],
                "ticktext": [qi.quarter_label(d).replace(" ", "<br>") for d in every],
            },
        )
    elif choice.subgrouped and choice.subgroup == "month" and dates:  # a point a month, its first day: by month
        set_axes(grid, "x", {"tickformat": "%b\n%Y", "dtick": month_ticks(min(dates), max(dates))})
    elif axis:  # a point a meeting or a block: a few weeks' meetings are ticked by day
        set_axes(grid, "x", axis)
    return _panels_figure(
        grid, layout, f"{_qi_title(choice)}<br><sup>{' · '.join(notes)}</sup>", traces, panels_of, marks
    )


def _highest(traces: Sequence[go.Scatter]) -> float:
    """The highest value the traces draw (points, centre lines, limits), 1 with none."""
    values = [float(y) for t in traces for y in (t.y or ()) if y is not None and np.isfinite(float(y))]
    return max([1.0, *values])


def _qi_notes(shown: Sequence[qi.TeamPanel], choice: qi.ChartChoice) -> list[str]:
    """The QI chart's subtitle, before its rebasing and target: the chart and its rules, and what
    its panels cannot tell. A run chart has a median and no limits, so its subtitle speaks of the
    median and the run rules only; limits, and trial limits, are a control chart's (p, XmR, g)."""
    rules = spc.RULE_SET_NAMES[choice.rules]
    short = any(p.chart is not None and p.chart.trial_limits and not p.withheld for p in shown)
    phase = f"where a phase has fewer than {spc.SHORT_PHASE} {choice.unit(2)}"
    run = choice.chart == "run"
    centre = " · centre line: the median" if run else ""
    notes = [f"{qi.CHART_KINDS[choice.chart]}{centre} · {rules}"]
    if any(p.withheld for p in shown):
        untested = "no run rules tested" if run else "no limits or signals"
        notes.append(f"{untested} where the sentence below says why")
    if short:
        notes.append(f"a short series {phase}: read as a description" if run else f"trial limits {phase}")
    return notes


def _qi_title(choice: qi.ChartChoice) -> str:
    """What each point of the chart is, named in its title."""
    spec = choice.spec
    if choice.chart == "g":
        return f"Held meetings between meetings with {spec.having}"
    if spec.monthly:
        return f"{spec.label} per {spec.meetings} (n = {spec.counted})"
    if not choice.subgrouped:
        n = "" if spec.kind == "count" else f" (n = {spec.counted})"
        return f"{spec.label} at each {spec.meetings}{n}"
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
    kind = choice.spec.kind
    value = (
        "%{y:.0f} held meetings without" if gaps
        else "%{y:.0f}" if kind == "count" else "%{y:.1f} of 5" if kind == "mean" else "%{y:.0%}"
    )  # fmt: skip
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
                    # the point's counts and limits as well as why: over its point, Plotly shows one of the two
                    customdata=[hover[p.index] for p in marked],
                    hovertemplate="%{customdata[0]}: " + value + "<br><b>%{customdata[1]}</b><extra>" + label
                    + "</extra>",
                    **legend(label),
                )
            )  # fmt: skip
    return traces


def _point_name(choice: qi.ChartChoice) -> str:
    if choice.chart == "g":
        return "Each gap"
    return f"Each {choice.unit()}" if choice.subgrouped or choice.spec.monthly else "Each meeting"


def _hover_line(panel: qi.TeamPanel, choice: qi.ChartChoice, point: spc.Point) -> list[str]:
    """A point's name, and its count, n and (on a control chart) limits in words, and why it was flagged."""
    name = plotly_text(panel.labels[point.index])
    if choice.chart == "g":
        counts = "since the previous meeting with " + plotly_text(choice.spec.having)
        limits = f"upper limit {point.upper:.1f}" if point.upper is not None else "no limits"
    else:
        yes, n = panel.counts[point.index]
        spec = choice.spec
        if choice.subgrouped:
            counts = f"{yes} of {n} held meetings"
        else:
            counted = spec.counted if n != 1 or spec.kind == "count" else qi.one_of(spec.counted)
            counts = (
                f"{yes} {spec.counted}" if spec.kind == "count"
                else f"from {n} {counted}" if spec.kind == "mean" else f"{yes} of {n} {counted}"
            )  # fmt: skip
        if choice.chart == "run":  # a median, and no limits to speak of
            limits = ""
        elif point.lower is not None and point.upper is not None and spec.kind in ("count", "mean"):
            limits = f"limits {point.lower:.1f}–{point.upper:.1f}"
        elif point.lower is not None and point.upper is not None:
            limits = f"limits {point.lower:.0%}–{point.upper:.0%}"
        else:
            limits = "no limits"
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
