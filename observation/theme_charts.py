"""Figures of recruitment and of the notes' themes: pure functions, data in, Plotly figure out.
Every clickable mark carries the keys of the rows behind it in ``customdata``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType
from plotly.subplots import make_subplots

from observation.charts import (
    MAX_SMALL_MULTIPLES,
    assemble,
    first_teams,
    label_width,
    month_ticks,
    rows_by_team,
    set_axes,
)
from observation.notes import INFORMANT_GROUPS, NO_TEAM, SOURCES, CodesPerDocument, Source, source_units
from observation.plain import plotly_text
from observation.recruitment import DROP_OUTS, FUNNEL, STAGE_LABELS
from observation.view_charts import (
    AXIS_ROOM,
    GREY,
    HEATMAP_FONT,
    LEGEND_ROW,
    SU_COLOUR,
    clickable_cells,
    grid,
    heatmap_labels_fit,
)

MOST_HEATMAP_TEAMS = 30
COLOUR_BAR = 100
"""px right of a heat map's cells its colour bar takes: the bar, its ticks and labels, its title
along it (colour_bar). Its title across the top took 170 px, and in a 1,024 px window a heat map of
21 codes was left 115 px."""


def colour_bar(title: str, **more: Any) -> dict[str, Any]:
    """A heat map's colour bar, its title along its right-hand side."""
    return {"title": {"text": title, "side": "right"}, **more}


def busiest(frame: pd.DataFrame, most: int, what: str, count: str = "notes") -> tuple[pd.DataFrame, str]:
    """The rows of the ``most`` teams with the most ``count`` (ties by name), and a title line that
    says so when teams were left out ("" when none was): a chart of a thousand teams is
    unreadable, and one that silently dropped some would be read as complete. Interviews with no
    team (a null team_id) are one more "team" here."""
    team = frame["team_id"].astype("Int64").fillna(-1)  # no team: one key of its own
    totals = frame.groupby([team, frame["team_name"]])[count].sum().reset_index()
    if len(totals) <= most:
        return frame, ""
    kept = totals.sort_values([count, "team_name"], ascending=[False, True]).head(most)["team_id"]
    return (
        frame[team.isin(kept)],
        f"<br><sup>the {most} teams with the most {what}, of {len(totals):,}: "
        "choose teams in the sidebar to see others</sup>",
    )


def _source_line(source: Source) -> str:
    """The subtitle's words for what a chart counts."""
    return f"source: {SOURCES[source].lower()}"


def _team_key(team_id: object) -> int | None:
    """A team's id for a click, None for interviews with no team."""
    return None if pd.isna(team_id) else int(team_id)  # type: ignore[call-overload]


def funnel(stages: pd.DataFrame) -> go.Figure:
    """Per team, people at each recruitment stage, and those who declined or withdrew (a
    different colour and pattern). Click a bar for the people and reasons behind it."""
    names, left_out = first_teams(stages)
    # room under the last row for the stages' names however Plotly turns them (upright in a 1,024 px
    # window), and the legend under them: with less, Plotly measured them and drew the whole figure
    # again, each time it was shown (a second visit at national scale took 0.6 s, not 0.2). The legend
    # goes along the foot, inside that room: at the right it took a quarter of a narrow window's chart,
    # and two teams' names over the narrowed panels ran together.
    longest = max(label_width(STAGE_LABELS[s], HEATMAP_FONT) for s in (*FUNNEL, *DROP_OUTS))
    bottom = math.ceil(longest + AXIS_ROOM) + LEGEND_ROW
    layout, _ = grid(names, left_out=left_out, bottom=bottom)
    plot = layout["height"] - layout["margin"]["t"] - bottom
    foot = {"orientation": "h", "yanchor": "bottom", "x": 0, "y": -(bottom - 4) / plot}
    layout["margin"]["l"] = 64  # "People" and its ticks: 60 px, which they outgrew by a pixel
    traces: list[BaseTraceType] = []
    panels: list[int] = []
    for i, team in enumerate(rows_by_team(stages, names)):
        for group, colour, pattern, label in (
            (FUNNEL, SU_COLOUR, "", "Recruitment stage"),
            (DROP_OUTS, "#D55E00", "x", "Declined or withdrew"),
        ):
            part = team[team["stage"].isin(group)]
            traces.append(
                go.Bar(
                    x=[STAGE_LABELS[s] for s in part["stage"]],
                    y=part["people"],
                    name=label,
                    legendgroup=label,
                    showlegend=i == 0,
                    marker={"color": colour, "pattern": {"shape": pattern}},
                    customdata=[[int(t), s] for t, s in zip(part["team_id"], part["stage"], strict=True)],
                    text=[str(n) for n in part["people"]],  # as Plotly writes a number as text
                    textposition="outside",
                    hovertemplate="%{x}: %{y} people<extra></extra>",
                )
            )
            panels.append(i)
    set_axes(layout, "y", {"title": {"text": "People"}, "rangemode": "tozero"}, col=1)
    return assemble(  # at once: Plotly checks the whole figure on each trace added
        layout,
        traces,
        panels,
        barmode="group",
        legend=foot,
        title={
            "text": "Recruitment funnel"
            + (" per team" if len(names) > 1 else "")  # a team's own: its panel names it
            + "<br><sup>click a bar for the people and reasons</sup>"
            + left_out
        },
    )


TEAM_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#332288")
"""A team's line colour in the recruitment-tension charts (Okabe-Ito, and indigo), taken in turn."""
TEAM_DASHES = ("solid", "dash", "dot", "dashdot")
"""A team's line dash, taken in turn as the colours are: seven colours and four dashes repeat
together only after 28 teams, so each team a chart draws (at most MAX_SMALL_MULTIPLES, and
interviews with no team in grey) looks unlike every other, and next to each other in the legend
two teams differ in dash as well as colour."""
SETTING_SYMBOLS = {"inpatient": ("circle", "●"), "community": ("square", "■"), "other": ("diamond", "◆")}
"""A team's markers, by its setting, and the mark the subtitle shows for them."""
NO_SETTING = ("x-thin-open", "×")


MOST_STYLED = len(TEAM_COLOURS) * len(TEAM_DASHES) // math.gcd(len(TEAM_COLOURS), len(TEAM_DASHES))
"""Teams that each get a look of their own before the colours and dashes repeat together (28)."""


def team_styles(names: Sequence[str], every: Sequence[str] = ()) -> dict[str, tuple[str, str]]:
    """A (colour, dash) per team of ``names``, unlike every other team's on the chart: the colours
    and the dashes each in turn. Interviews with no team are grey and dotted. Given ``every`` team
    of the page (both tension charts read one frame), a team keeps its look from chart to chart
    while there are few enough to look unlike each other."""
    pool = [n for n in dict.fromkeys(every) if n != NO_TEAM]
    if not set(names) - {NO_TEAM} <= set(pool) or len(pool) > MOST_STYLED:
        pool = [n for n in dict.fromkeys(names) if n != NO_TEAM]
    styles = {name: (TEAM_COLOURS[i % len(TEAM_COLOURS)], TEAM_DASHES[i % len(TEAM_DASHES)]) for i, name in
              enumerate(pool) if name in names}  # fmt: skip
    return styles | ({NO_TEAM: (GREY, "dot")} if NO_TEAM in names else {})


def _setting_marks(settings: Sequence[object]) -> str:
    """The subtitle's key to the markers: "● inpatient · ■ community", for the settings drawn."""
    drawn = {str(s) for s in settings if not pd.isna(s)}  # type: ignore[call-overload]
    marks = [f"{mark} {setting}" for setting, (_, mark) in SETTING_SYMBOLS.items() if setting in drawn]
    return " · ".join(marks)


def tension_over_time(by_month: pd.DataFrame, source: Source = "notes") -> go.Figure:
    """Field notes with a recruitment-tension code per held meeting, by month, one line per team,
    each team in a colour and dash of its own (two teams never look alike), its markers shaped by
    its setting so inpatient and community teams compare at a glance. At most MAX_SMALL_MULTIPLES
    teams: those with the most tension notes, and the title says so. Only the rows that count notes
    are drawn; with ``source`` "both" the subtitle points to the interviews' own chart
    (tension_in_interviews), as the two are never added together."""
    every = [str(n) for n in by_month["team_name"].unique()]
    by_month = by_month[by_month["held"].notna()]
    by_month, left_out = busiest(by_month, MAX_SMALL_MULTIPLES, "tension notes")
    styles = team_styles([str(n) for n in by_month["team_name"].unique()], every)
    traces: list[go.Scatter] = []
    for (name, setting), team in by_month.groupby(["team_name", "setting"], sort=False):
        colour, dash = styles[str(name)]
        traces.append(
            go.Scatter(
                x=team["month"],
                y=team["per_meeting"],
                mode="lines+markers",
                name=plotly_text(f"{name} ({setting})"),
                line={"color": colour, "dash": dash},
                marker={"size": 8, "symbol": SETTING_SYMBOLS.get(str(setting), NO_SETTING)[0]},
                customdata=[
                    [int(t), pd.Timestamp(m).date().isoformat(), int(n)]
                    for t, m, n in zip(team["team_id"], team["month"], team["notes"], strict=True)
                ],
                hovertemplate="%{x|%b %Y}: %{customdata[2]} notes, %{y:.1f} per held meeting<extra>"
                + plotly_text(name)
                + "</extra>",
            )
        )
    elsewhere = " (interviews: in the chart below)" if source == "both" else ""
    settings = _setting_marks(by_month["setting"].unique().tolist())
    fig = go.Figure(data=traces)  # at once: Plotly checks the whole figure on each trace added
    fig.update_layout(
        title={
            "text": "Recruitment tensions in the field notes, per held meeting"
            f"<br><sup>{_source_line('notes')}{elsewhere}, a note counted once · {settings} · "
            "click a point to read the notes</sup>" + left_out
        },
        yaxis_title="Notes per held meeting",
        xaxis_tickformat="%b\n%Y",
        height=420,
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


MOST_UNIT_TICKS = 6
"""The highest count up to which a count's axis is ticked at every whole number (Plotly would tick
a few at every half)."""


def tension_in_interviews(by_month: pd.DataFrame) -> go.Figure:
    """Interview transcripts with a recruitment-tension code, by the month of the interview, one
    line per team (interviews with no team on a grey line of their own), styled as the notes' chart
    is. A count, not divided by meetings: an interview is not held at one. At most
    MAX_SMALL_MULTIPLES teams: those with the most tension transcripts, and the title says so."""
    every = [str(n) for n in by_month["team_name"].unique()]
    by_month = by_month[by_month["transcripts"].notna()]
    by_month, left_out = busiest(by_month, MAX_SMALL_MULTIPLES, "tension transcripts", "interviews")
    styles = team_styles([str(n) for n in by_month["team_name"].unique()], every)
    traces: list[go.Scatter] = []
    for name, team in by_month.groupby("team_name", sort=False):
        setting = team["setting"].iloc[0]
        colour, dash = styles[str(name)]
        traces.append(
            go.Scatter(
                x=team["month"],
                y=team["interviews"],
                mode="lines+markers",
                name=plotly_text(name if pd.isna(setting) else f"{name} ({setting})"),
                line={"color": colour, "dash": dash},
                marker={"size": 9, "symbol": SETTING_SYMBOLS.get(str(setting), NO_SETTING)[0]},
                customdata=[
                    [_team_key(t), pd.Timestamp(m).date().isoformat(), int(n), int(k)]
                    for t, m, n, k in zip(
                        team["team_id"], team["month"], team["interviews"], team["transcripts"], strict=True
                    )
                ],
                hovertemplate="%{x|%b %Y}: %{customdata[2]} of %{customdata[3]} interview transcripts<extra>"
                + plotly_text(name)
                + "</extra>",
            )
        )
    settings = _setting_marks(by_month["setting"].unique().tolist())
    months = pd.to_datetime(by_month["month"]).dropna()
    fig = go.Figure(data=traces)  # at once: Plotly checks the whole figure on each trace added
    fig.update_layout(
        title={
            "text": "Recruitment tensions in the interviews, transcripts per month"
            f"<br><sup>{_source_line('interviews')}, a transcript counted once, in the month it was "
            f"recorded, not divided by meetings · {settings} · click a point to read the transcripts</sup>" + left_out
        },
        yaxis_title="Interview transcripts",
        yaxis_rangemode="tozero",
        yaxis_tickformat=",d",  # a count of transcripts: never a tick at 0.5
        yaxis_dtick=1 if by_month["interviews"].max(skipna=True) <= MOST_UNIT_TICKS else None,
        xaxis_tickformat="%b\n%Y",
        # ticks a panel can hold, as every time axis is ticked (Plotly would mark weeks over a few
        # months, each "Jan", and a tick a month over five years overprints its labels)
        xaxis_dtick=month_ticks(months.min().date(), months.max().date()) if not months.empty else None,
        height=380,
        legend={"orientation": "h", "y": -0.25, "x": 0},
    )
    return fig


def _labels(ids: list[int] | list[int | None], names: list[str]) -> list[str]:
    """Display labels for codes or teams, made safe, and unique: a repeated name gets its id."""
    seen = {n: names.count(n) for n in names}
    return [plotly_text(n) if seen[n] == 1 else f"{plotly_text(n)} (#{i})" for i, n in zip(ids, names, strict=True)]


def code_team_heatmap(matrix: pd.DataFrame, source: Source = "notes") -> go.Figure:
    """Codes by teams, each cell the number of documents of ``source`` with that code (printed in
    the cell; a document counts once per code). Rows and columns are keyed by id, so two codes of
    the same name stay apart; interviews with no team are the last column, NO_TEAM. At most
    MOST_HEATMAP_TEAMS columns: the teams with the most coded documents, and the title says so."""
    units = source_units(source)
    matrix, left_out = busiest(matrix, MOST_HEATMAP_TEAMS, f"coded {units}", "documents")
    codes = dict(zip(matrix["code_id"].astype(int), matrix["code_name"].astype(str), strict=True))
    teams = dict(
        sorted(
            zip([_team_key(t) for t in matrix["team_id"]], matrix["team_name"].astype(str), strict=True),
            key=lambda t: (t[0] is None, t[1]),
        )
    )
    counted = {
        (int(c), _team_key(t)): int(n)
        for c, t, n in zip(matrix["code_id"], matrix["team_id"], matrix["documents"], strict=True)
    }
    split = {
        (int(c), _team_key(t)): (int(k), int(i))
        for c, t, k, i in zip(matrix["code_id"], matrix["team_id"], matrix["notes"], matrix["interviews"], strict=True)
    }
    grid = [[counted.get((c, t), 0) for t in teams] for c in codes]
    xs, ys = _labels(list(teams), list(teams.values())), _labels(list(codes), list(codes.values()))
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=xs,
            y=ys,
            text=grid,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar=colour_bar(units.capitalize()),
            hoverinfo="skip",
        )
    )
    custom = [[[c, t, counted.get((c, t), 0), *split.get((c, t), (0, 0))] for t in teams] for c in codes]
    clickable_cells(fig, xs, ys, custom, f"%{{y}} · %{{x}}: {_by_source(source)}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={
            "text": f"{units.capitalize()} per code and team<br><sup>{_source_line(source)}, each counted once per "
            "code · click a cell to read them</sup>" + left_out
        },
        height=max(300, 26 * len(codes) + 140),
        margin={"t": 80, "l": 60, "r": 20, "b": 60},
    )
    heatmap_labels_fit(fig, xs, ys, COLOUR_BAR)
    return fig


def cooccurrence_heatmap(
    pairs: pd.DataFrame, source: Source = "notes", carried: CodesPerDocument | None = None
) -> go.Figure:
    """Codes applied to the same document of ``source``: each cell the number of documents with both
    codes (a note and a transcript never make a pair). With both sources a cell counts the pair in
    each document, as a coding tool does; its hover says how many of them are notes and how many
    transcripts, and the subtitle how many codes each source's documents carry (``carried``): a
    transcript carries more, so makes more pairs."""
    units = source_units(source)
    names = {int(i): str(n) for i, n in zip(pairs["code_a"], pairs["name_a"], strict=True)}
    names |= {int(i): str(n) for i, n in zip(pairs["code_b"], pairs["name_b"], strict=True)}
    codes = sorted(names, key=lambda c: (names[c], c))
    both: dict[tuple[int, int], int] = {}
    split: dict[tuple[int, int], tuple[int, int]] = {}
    for a, b, n, k, i in zip(
        pairs["code_a"], pairs["code_b"], pairs["documents"], pairs["notes"], pairs["interviews"], strict=True
    ):
        both[(int(a), int(b))] = both[(int(b), int(a))] = int(n)
        split[(int(a), int(b))] = split[(int(b), int(a))] = (int(k), int(i))
    grid = [[both.get((y, x), 0) for x in codes] for y in codes]
    labels = _labels(codes, [names[c] for c in codes])
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=labels,
            y=labels,
            text=grid,
            texttemplate="%{text}",
            colorscale="Purples",
            hoverinfo="skip",
            colorbar=colour_bar(units.capitalize()),
        )
    )
    custom = [
        [[y, x, both.get((y, x), 0), *split.get((y, x), (0, 0))] if x != y else None for x in codes] for y in codes
    ]
    clickable_cells(fig, labels, labels, custom, f"%{{y}} + %{{x}}: {_by_source(source)}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    same = {"notes": "note", "interviews": "interview transcript", "both": "note or interview transcript"}[source]
    apart = (
        ", a pair on one note or one transcript, never one on each · hover for how many of each"
        f"<br>{_carried_line(carried)}"
        if source == "both"
        else ""
    )
    # with both sources, the click on a line of its own: after the codes carried, a window of
    # 1100 px with the sidebar open cut it at "the ones with"
    click = ("<br>" if source == "both" else " · ") + "click a cell to read the ones with both"
    fig.update_layout(
        title={"text": f"Codes that occur on the same {same}<br><sup>{_source_line(source)}{apart}{click}</sup>"},
        height=max(320, 26 * len(codes) + 200),
        margin={"t": 125 if source == "both" else 60, "l": 60, "r": 20, "b": 200},
    )
    heatmap_labels_fit(fig, labels, labels, COLOUR_BAR)
    return fig


def _by_source(source: Source) -> str:
    """A cell's hover count: with both sources, each apart (customdata 3 and 4), never only the sum."""
    if source == "both":
        return "%{customdata[3]} notes, %{customdata[4]} interview transcripts"
    return f"%{{customdata[2]}} {source_units(source)}"


def _carried_line(carried: CodesPerDocument | None) -> str:
    """How many codes a coded note and a coded transcript carry, in a subtitle's words."""
    if carried is None or carried.notes is None or carried.interviews is None:
        return "a transcript and a note carry different numbers of codes, so make different numbers of pairs"
    return (
        f"a coded transcript carries {carried.interviews:.1f} codes on average, a coded note {carried.notes:.1f}: "
        "the more codes, the more pairs"
    )


CODE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#332288", "#999999")
"""One colour a code (Okabe-Ito and two more), the same in every panel of a chart."""
PANELS: dict[Source, tuple[str, str, str]] = {  # a source drawn on its own: y axis, unit, line dash
    "notes": ("Field notes", "field notes", "solid"),
    "interviews": ("Interview transcripts", "interview transcripts", "dot"),
}


def _panels_of(source: Source) -> list[Source]:
    """The sources ``source`` counts, each a panel of its own: "both" is the two."""
    return [p for p in PANELS if p == source or source == "both"]


def most_used(freq: pd.DataFrame, parts: list[Source], top: int) -> list[tuple[int, str]]:
    """The ``top`` codes (id, name) most used in each of ``parts`` ("notes", "interviews"), taken in
    turn: the first of the notes, the first of the transcripts, the second of the notes… A rank,
    not a sum, so a source of few documents with many codes each does not crowd out the other."""
    rankings = []
    for part in parts:
        totals = freq.groupby(["code_id", "code_name"], as_index=False)[part].sum()
        totals = totals[totals[part] > 0].sort_values([part, "code_name", "code_id"], ascending=[False, True, True])
        rankings.append([(int(c), str(n)) for c, n in zip(totals["code_id"], totals["code_name"], strict=True)])
    chosen: list[tuple[int, str]] = []
    for turn in zip_longest(*rankings):
        for code in turn:
            if code is not None and code not in chosen:
                chosen.append(code)
    return chosen[:top]


def code_frequency(freq: pd.DataFrame, source: Source = "notes", top: int = 8) -> go.Figure:
    """Documents of ``source`` per month for the most used codes: a note in its meeting's month, a
    transcript in the interview's. With both sources, field notes and interview transcripts are
    drawn in panels of their own (a code in one colour in both), never added: a transcript carries
    more codes than a note, and interviews come in bursts. Every point's customdata is the code,
    the month and the source it counts ("notes" or "interviews"), so a click reads just those. A
    code's line runs through every month from the source's first coded document to its last, a
    month with none of its documents at 0 (a line drawn from one month it was used to the next
    read as if it had been used in between). A source with no coded document in ``freq`` has no
    panel, and the subtitle says so; see ``counted`` for a chart with none at all."""
    asked = _panels_of(source)
    parts = [p for p in asked if counted(freq, p)] or asked
    codes = most_used(freq, parts, top)
    labels = _labels([c for c, _ in codes], [n for _, n in codes])
    names = [PANELS[p][0] + " per month" for p in parts] if len(parts) > 1 else None
    fig = make_subplots(rows=len(parts), cols=1, shared_xaxes=True, vertical_spacing=0.14, subplot_titles=names)
    symbols = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star"]
    used = {part: freq[freq[part] > 0] for part in parts}  # each source's coded documents, by code and month
    months = {part: pd.date_range(u["month"].min(), u["month"].max(), freq="MS") for part, u in used.items() if len(u)}
    for k, ((code_id, _), label) in enumerate(zip(codes, labels, strict=True)):
        style = {"color": CODE_COLOURS[k % len(CODE_COLOURS)]}
        drawn = False
        for row, part in enumerate(parts, start=1):
            _, unit, dash = PANELS[part]
            mine = used[part][used[part]["code_id"] == code_id]
            if mine.empty:
                continue
            per_month = mine.groupby("month")[part].sum().reindex(months[part], fill_value=0)
            fig.add_trace(
                go.Scatter(
                    x=per_month.index,
                    y=per_month.to_numpy(),
                    mode="lines+markers",
                    name=label,
                    legendgroup=str(code_id),  # a click on the legend hides the code in every panel
                    showlegend=not drawn,
                    line=style | {"dash": dash},
                    marker=style | {"symbol": symbols[k % len(symbols)], "size": 8},
                    customdata=[[code_id, m.date().isoformat(), part] for m in per_month.index],
                    hovertemplate=f"%{{x|%b %Y}}: %{{y}} {unit}<extra>{label} · {unit}</extra>",
                ),
                row=row,
                col=1,
            )
            drawn = True
    for row, part in enumerate(parts, start=1):
        fig.update_yaxes(title_text=PANELS[part][0], rangemode="tozero", row=row, col=1)
    units = source_units(source)
    missing = [p for p in asked if p not in parts]
    what = (
        " · in panels of their own, never added:<br>a transcript carries more codes than a note, and interviews "
        "come in bursts · the codes each source uses most, in turn<br>click a point to read the notes or the "
        "transcripts it counts"
        if len(parts) > 1
        else " · click a point to read them"
        + "".join(f"<br>no coded {PANELS[p][1]} in these teams and dates" for p in missing)
    )
    fig.update_layout(
        title={
            "text": f"The {len(codes)} most used codes, {units} per month"
            f"<br><sup>{_source_line(source)}, each counted once per code{what}</sup>"
        },
        height=420 + 240 * (len(parts) - 1),
        # four lines of title, and under them the first panel's own (150 px ran the last line into it)
        margin_t=170 if len(parts) > 1 else None,
        legend={"orientation": "h", "y": -0.2 if len(parts) == 1 else -0.16, "x": 0},  # below the months
    )
    fig.update_xaxes(tickformat="%b\n%Y")
    return fig


def counted(freq: pd.DataFrame, source: Source) -> bool:
    """Whether ``freq`` (notes.code_frequency) counts any coded document of ``source`` ("both":
    of either), so that there is a chart of codes over time to draw."""
    return bool(len(freq) and (freq[_panels_of(source)] > 0).to_numpy().any())


def informant_group_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Codes by informant group: each cell the number of the group's interview transcripts with
    that code (printed), coloured by its share of the group's transcripts so groups of different
    sizes compare fairly; each column says how many transcripts its group has. A group with none
    is drawn empty."""
    codes = dict(zip(matrix["code_id"].astype(int), matrix["code_name"].astype(str), strict=True))
    sizes = dict(zip(matrix["informant_group"], matrix["group_transcripts"].astype(int), strict=False))
    groups = [g for g in INFORMANT_GROUPS if g in sizes]
    cells = {
        (int(c), str(g)): (int(n), None if pd.isna(s) else float(s))
        for c, g, n, s in zip(
            matrix["code_id"], matrix["informant_group"], matrix["transcripts"], matrix["share"], strict=True
        )
    }
    shares = [[cells.get((c, g), (0, None))[1] for g in groups] for c in codes]
    counts = [[cells.get((c, g), (0, None))[0] if sizes[g] else "" for g in groups] for c in codes]
    xs = [f"{INFORMANT_GROUPS[g]} ({sizes[g]})" for g in groups]
    ys = _labels(list(codes), list(codes.values()))
    fig = go.Figure(
        go.Heatmap(
            z=shares,
            x=xs,
            y=ys,
            text=counts,
            texttemplate="%{text}",
            colorscale="Greens",
            zmin=0,
            zmax=1,
            colorbar=colour_bar("Share of the group's transcripts", tickformat=".0%"),
            hoverinfo="skip",
        )
    )
    custom = [[[c, g, *cells.get((c, g), (0, None))[:1], sizes[g]] for g in groups] for c in codes]
    clickable_cells(fig, xs, ys, custom, "%{y} · %{x}: %{customdata[2]} of %{customdata[3]} transcripts<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={
            "text": "Interview transcripts per code and informant group"
            f"<br><sup>{_source_line('interviews')} (field notes have no informant), each counted once per code · "
            "in brackets: the group's transcripts · colour: the share of them · click a cell to read them</sup>"
        },
        height=max(300, 26 * len(codes) + 140),
        margin={"t": 80, "l": 60, "r": 20, "b": 60},
    )
    heatmap_labels_fit(fig, xs, ys, COLOUR_BAR)
    return fig
