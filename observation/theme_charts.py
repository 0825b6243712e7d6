"""Figures of recruitment and of the notes' themes: pure functions, data in, Plotly figure out.
Every clickable mark carries the keys of the rows behind it in ``customdata``."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from observation.charts import MAX_SMALL_MULTIPLES, first_teams, plain
from observation.recruitment import DROP_OUTS, FUNNEL, STAGE_LABELS
from observation.view_charts import GREY, SETTING_STYLE, SU_COLOUR, clickable_cells, grid

MOST_HEATMAP_TEAMS = 30


def busiest(frame: pd.DataFrame, most: int, what: str) -> tuple[pd.DataFrame, str]:
    """The rows of the ``most`` teams with the most ``notes`` (ties by name), and a title line that
    says so when teams were left out ("" when none was): a chart of a thousand teams is
    unreadable, and one that silently dropped some would be read as complete."""
    totals = frame.groupby(["team_id", "team_name"])["notes"].sum().reset_index()
    if len(totals) <= most:
        return frame, ""
    kept = totals.sort_values(["notes", "team_name"], ascending=[False, True]).head(most)["team_id"]
    return (
        frame[frame["team_id"].isin(kept)],
        f"<br><sup>the {most} teams with the most {what}, of {len(totals)}: "
        "choose teams in the sidebar to see others</sup>",
    )


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


def tension_over_time(by_month: pd.DataFrame) -> go.Figure:
    """Notes with a recruitment-tension code per held meeting, by month, one line per team,
    coloured and dashed by setting so inpatient and community teams compare at a glance. At most
    MAX_SMALL_MULTIPLES teams: those with the most tension notes, and the title says so."""
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
    fig.update_layout(
        title={
            "text": "Recruitment tensions in the notes, per held meeting"
            "<br><sup>solid: inpatient · dashed: community · click a point to read the notes</sup>" + left_out
        },
        yaxis_title="Notes per held meeting",
        xaxis_tickformat="%b\n%Y",
        height=420,
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


def _labels(ids: list[int], names: list[str]) -> list[str]:
    """Display labels for codes or teams, made safe, and unique: a repeated name gets its id."""
    seen = {n: names.count(n) for n in names}
    return [plain(n) if seen[n] == 1 else f"{plain(n)} (#{i})" for i, n in zip(ids, names, strict=True)]


def code_team_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Codes by teams, each cell the number of notes with that code (printed in the cell). Rows
    and columns are keyed by id, so two codes of the same name stay apart. At most
    MOST_HEATMAP_TEAMS columns: the teams with the most coded notes, and the title says so."""
    matrix, left_out = busiest(matrix, MOST_HEATMAP_TEAMS, "coded notes")
    codes = dict(zip(matrix["code_id"].astype(int), matrix["code_name"].astype(str), strict=True))
    teams = dict(
        sorted(zip(matrix["team_id"].astype(int), matrix["team_name"].astype(str), strict=True), key=lambda t: t[1])
    )
    notes = {
        (int(c), int(t)): int(n) for c, t, n in zip(matrix["code_id"], matrix["team_id"], matrix["notes"], strict=True)
    }
    grid = [[notes.get((c, t), 0) for t in teams] for c in codes]
    xs, ys = _labels(list(teams), list(teams.values())), _labels(list(codes), list(codes.values()))
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=xs,
            y=ys,
            text=grid,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": "Notes"},
            hoverinfo="skip",
        )
    )
    custom = [[[c, t, notes.get((c, t), 0)] for t in teams] for c in codes]
    clickable_cells(fig, xs, ys, custom, "%{y} · %{x}: %{customdata[2]} notes<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={"text": "Notes per code and team<br><sup>click a cell to read its notes</sup>" + left_out},
        height=max(300, 26 * len(codes) + 140),
        margin={"t": 80, "l": 260, "r": 20, "b": 60},
    )
    return fig


def cooccurrence_heatmap(pairs: pd.DataFrame) -> go.Figure:
    """Codes applied to the same note: each cell the number of notes with both codes."""
    names = {int(i): str(n) for i, n in zip(pairs["code_a"], pairs["name_a"], strict=True)}
    names |= {int(i): str(n) for i, n in zip(pairs["code_b"], pairs["name_b"], strict=True)}
    codes = sorted(names, key=lambda c: (names[c], c))
    both: dict[tuple[int, int], int] = {}
    for a, b, n in zip(pairs["code_a"], pairs["code_b"], pairs["notes"], strict=True):
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
            colorbar={"title": "Notes"},
        )
    )
    custom = [[[y, x, both.get((y, x), 0)] if x != y else None for x in codes] for y in codes]
    clickable_cells(fig, labels, labels, custom, "%{y} + %{x}: %{customdata[2]} notes<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title={"text": "Codes that occur on the same note<br><sup>click a cell to read the notes with both</sup>"},
        height=max(320, 26 * len(codes) + 200),
        margin={"t": 60, "l": 260, "r": 20, "b": 200},
    )
    return fig


def code_frequency(freq: pd.DataFrame, top: int = 8) -> go.Figure:
    """Notes per month for the most used codes."""
    totals = freq.groupby("code_name")["notes"].sum().sort_values(ascending=False)
    fig = go.Figure()
    symbols = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star"]
    for k, name in enumerate(totals.index[:top]):
        part = freq[freq["code_name"] == name].groupby(["month", "code_id"], as_index=False)["notes"].sum()
        fig.add_trace(
            go.Scatter(
                x=part["month"],
                y=part["notes"],
                mode="lines+markers",
                name=plain(name),
                marker={"symbol": symbols[k % len(symbols)], "size": 8},
                customdata=[
                    [int(c), pd.Timestamp(m).date().isoformat()]
                    for c, m in zip(part["code_id"], part["month"], strict=True)
                ],
                hovertemplate="%{x|%b %Y}: %{y} notes<extra>" + plain(name) + "</extra>",
            )
        )
    fig.update_layout(
        title={
            "text": f"The {min(top, len(totals))} most used codes, notes per month"
            "<br><sup>click a point to read its notes</sup>"
        },
        yaxis_title="Notes",
        xaxis_tickformat="%b\n%Y",
        height=420,
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig
