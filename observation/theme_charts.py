"""Figures of recruitment and of the notes' themes: pure functions, data in, Plotly figure out.
Every clickable mark carries the keys of the rows behind it in ``customdata``."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observation.charts import MAX_SMALL_MULTIPLES, first_teams, plain
from observation.notes import INFORMANT_GROUPS, SOURCES, Source, source_units
from observation.recruitment import DROP_OUTS, FUNNEL, STAGE_LABELS
from observation.view_charts import GREY, SETTING_STYLE, SU_COLOUR, clickable_cells, grid

MOST_HEATMAP_TEAMS = 30


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
        f"<br><sup>the {most} teams with the most {what}, of {len(totals)}: "
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
    fig, cols = grid(names, left_out=left_out)
    for i, name in enumerate(names):
        team = stages[stages["team_name"] == name]
        row, col = divmod(i, cols)
        for group, colour, pattern, label in (
            (FUNNEL, SU_COLOUR, "", "Recruitment stage"),
            (DROP_OUTS, "#D55E00", "x", "Declined or withdrew"),
        ):
            part = team[team["stage"].isin(group)]
            fig.add_trace(
                go.Bar(
                    x=[STAGE_LABELS[s] for s in part["stage"]],
                    y=part["people"],
                    name=label,
                    legendgroup=label,
                    showlegend=i == 0,
                    marker={"color": colour, "pattern": {"shape": pattern}},
                    customdata=[[int(t), s] for t, s in zip(part["team_id"], part["stage"], strict=True)],
                    text=part["people"],
                    textposition="outside",
                    hovertemplate="%{x}: %{y} people<extra></extra>",
                ),
                row=row + 1,
                col=col + 1,
            )
    fig.update_layout(
        barmode="group",
        title={"text": "Recruitment funnel per team<br><sup>click a bar for the people and reasons</sup>" + left_out},
    )
    fig.update_yaxes(title_text="People", col=1, rangemode="tozero")
    return fig


def tension_over_time(by_month: pd.DataFrame, source: Source = "notes") -> go.Figure:
    """Field notes with a recruitment-tension code per held meeting, by month, one line per team,
    coloured and dashed by setting so inpatient and community teams compare at a glance. At most
    MAX_SMALL_MULTIPLES teams: those with the most tension notes, and the title says so. Only the
    rows that count notes are drawn; with ``source`` "both" the subtitle points to the interviews'
    own chart (tension_in_interviews), as the two are never added together."""
    by_month = by_month[by_month["held"].notna()]
    by_month, left_out = busiest(by_month, MAX_SMALL_MULTIPLES, "tension notes")
    fig = go.Figure()
    for (name, setting), team in by_month.groupby(["team_name", "setting"], sort=False):
        colour, dash = SETTING_STYLE.get(str(setting), (GREY, "solid"))
        fig.add_trace(
            go.Scatter(
                x=team["month"],
                y=team["per_meeting"],
                mode="lines+markers",
                name=plain(f"{name} ({setting})"),
                line={"color": colour, "dash": dash},
                marker={"size": 8},
                customdata=[
                    [int(t), pd.Timestamp(m).date().isoformat(), int(n)]
                    for t, m, n in zip(team["team_id"], team["month"], team["notes"], strict=True)
                ],
                hovertemplate="%{x|%b %Y}: %{customdata[2]} notes, %{y:.1f} per held meeting<extra>"
                + plain(name)
                + "</extra>",
            )
        )
    elsewhere = " (interviews: in the chart below)" if source == "both" else ""
    fig.update_layout(
        title={
            "text": "Recruitment tensions in the field notes, per held meeting"
            f"<br><sup>{_source_line('notes')}{elsewhere}, a note counted once · solid: inpatient · "
            "dashed: community · click a point to read the notes</sup>" + left_out
        },
        yaxis_title="Notes per held meeting",
        xaxis_tickformat="%b\n%Y",
        height=420,
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


def tension_in_interviews(by_month: pd.DataFrame) -> go.Figure:
    """Interview transcripts with a recruitment-tension code, by the month of the interview, one
    line per team (interviews with no team on a grey line of their own), styled by setting as the
    notes' chart is. A count, not divided by meetings: an interview is not held at one. At most
    MAX_SMALL_MULTIPLES teams: those with the most tension transcripts, and the title says so."""
    by_month = by_month[by_month["transcripts"].notna()]
    by_month, left_out = busiest(by_month, MAX_SMALL_MULTIPLES, "tension transcripts", "interviews")
    fig = go.Figure()
    for name, team in by_month.groupby("team_name", sort=False):
        setting = team["setting"].iloc[0]
        colour, dash = SETTING_STYLE.get(str(setting), (GREY, "solid"))
        fig.add_trace(
            go.Scatter(
                x=team["month"],
                y=team["interviews"],
                mode="lines+markers",
                name=plain(name if pd.isna(setting) else f"{name} ({setting})"),
                line={"color": colour, "dash": dash},
                marker={"size": 9, "symbol": "diamond"},
                customdata=[
                    [_team_key(t), pd.Timestamp(m).date().isoformat(), int(n), int(k)]
                    for t, m, n, k in zip(
                        team["team_id"], team["month"], team["interviews"], team["transcripts"], strict=True
                    )
                ],
                hovertemplate="%{x|%b %Y}: %{customdata[2]} of %{customdata[3]} interview transcripts<extra>"
                + plain(name)
                + "</extra>",
            )
        )
    fig.update_layout(
        title={
            "text": "Recruitment tensions in the interviews, transcripts per month"
            f"<br><sup>{_source_line('interviews')}, a transcript counted once, in the month it was "
            "recorded, not divided by meetings · click a point to read the transcripts</sup>" + left_out
        },
        yaxis_title="Interview transcripts",
        yaxis_rangemode="tozero",
        xaxis_tickformat="%b\n%Y",
        # a tick a month: interviews often span only a few (Plotly would mark weeks, each "Jan")
        xaxis_dtick="M1" if by_month["month"].nunique() <= 18 else None,
        height=380,
        legend={"orientation": "h", "y": -0.25, "x": 0},
    )
    return fig


def _labels(ids: list[int] | list[int | None], names: list[str]) -> list[str]:
    """Display labels for codes or teams, made safe, and unique: a repeated name gets its id."""
    seen = {n: names.count(n) for n in names}
    return [plain(n) if seen[n] == 1 else f"{plain(n)} (#{i})" for i, n in zip(ids, names, strict=True)]


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
            colorbar={"title": units.capitalize().replace(" and ", "<br>and ")},
            hoverinfo="skip",
        )
    )
    custom = [[[c, t, counted.get((c, t), 0)] for t in teams] for c in codes]
    clickable_cells(fig, xs, ys, custom, f"%{{y}} · %{{x}}: %{{customdata[2]}} {units}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={
            "text": f"{units.capitalize()} per code and team<br><sup>{_source_line(source)}, each counted once per "
            "code · click a cell to read them</sup>" + left_out
        },
        height=max(300, 26 * len(codes) + 140),
        margin={"t": 80, "l": 260, "r": 20, "b": 60},
    )
    return fig


def cooccurrence_heatmap(pairs: pd.DataFrame, source: Source = "notes") -> go.Figure:
    """Codes applied to the same document of ``source``: each cell the number of documents with both
    codes (a note and a transcript never make a pair)."""
    units = source_units(source)
    names = {int(i): str(n) for i, n in zip(pairs["code_a"], pairs["name_a"], strict=True)}
    names |= {int(i): str(n) for i, n in zip(pairs["code_b"], pairs["name_b"], strict=True)}
    codes = sorted(names, key=lambda c: (names[c], c))
    both: dict[tuple[int, int], int] = {}
    for a, b, n in zip(pairs["code_a"], pairs["code_b"], pairs["documents"], strict=True):
        both[(int(a), int(b))] = both[(int(b), int(a))] = int(n)
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
            colorbar={"title": units.capitalize().replace(" and ", "<br>and ")},
        )
    )
    custom = [[[y, x, both.get((y, x), 0)] if x != y else None for x in codes] for y in codes]
    clickable_cells(fig, labels, labels, custom, f"%{{y}} + %{{x}}: %{{customdata[2]}} {units}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    same = {"notes": "note", "interviews": "interview transcript", "both": "note or interview transcript"}[source]
    fig.update_layout(
        title={
            "text": f"Codes that occur on the same {same}<br><sup>{_source_line(source)} · click a cell to read "
            "the ones with both</sup>"
        },
        height=max(320, 26 * len(codes) + 200),
        margin={"t": 60, "l": 260, "r": 20, "b": 200},
    )
    return fig


def code_frequency(freq: pd.DataFrame, source: Source = "notes", top: int = 8) -> go.Figure:
    """Documents of ``source`` per month for the most used codes: a note in its meeting's month, a
    transcript in the interview's."""
    units = source_units(source)
    totals = freq.groupby("code_name")["documents"].sum().sort_values(ascending=False)
    fig = go.Figure()
    symbols = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star"]
    for k, name in enumerate(totals.index[:top]):
        part = freq[freq["code_name"] == name].groupby(["month", "code_id"], as_index=False)["documents"].sum()
        fig.add_trace(
            go.Scatter(
                x=part["month"],
                y=part["documents"],
                mode="lines+markers",
                name=plain(name),
                marker={"symbol": symbols[k % len(symbols)], "size": 8},
                customdata=[
                    [int(c), pd.Timestamp(m).date().isoformat()]
                    for c, m in zip(part["code_id"], part["month"], strict=True)
                ],
                hovertemplate=f"%{{x|%b %Y}}: %{{y}} {units}<extra>" + plain(name) + "</extra>",
            )
        )
    fig.update_layout(
        title={
            "text": f"The {min(top, len(totals))} most used codes, {units} per month"
            f"<br><sup>{_source_line(source)}, each counted once per code · click a point to read them</sup>"
        },
        yaxis_title=units.capitalize(),
        xaxis_tickformat="%b\n%Y",
        height=420,
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


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
            colorbar={"title": "Share of<br>the group's<br>transcripts", "tickformat": ".0%"},
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
        margin={"t": 80, "l": 260, "r": 20, "b": 60},
    )
    return fig
