"""Figures as pure functions: data in, a Plotly Figure out. Pages render them; nothing here draws.

Colours are from the Okabe-Ito palette (safe for colour-blind readers), and every series also
differs by line dash and marker symbol, so colour is never the only signal.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PRESENCE_COLOUR = "#0072B2"  # Okabe-Ito blue
MEANINGFUL_COLOUR = "#D55E00"  # Okabe-Ito vermillion
TARGET_COLOUR = "#555555"
EVENT_COLOUR = "#009E73"  # Okabe-Ito bluish green
MAX_SMALL_MULTIPLES = 12
SHORT_SERIES = 12


def involvement_trend(
    trend: pd.DataFrame, target: float, level_label: str, events: pd.DataFrame | None = None
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
        subplot_titles=names or ["No held meetings"],
        horizontal_spacing=0.04,
        vertical_spacing=0.12 if rows > 1 else 0.0,
    )
    for i, name in enumerate(names):
        team = trend[trend["team_name"] == name]
        row, col = divmod(i, cols)
        hover = "%{x|%b %Y}: %{y:.0%} of %{customdata} held meetings<extra>%{fullData.name}</extra>"
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
            fig.add_trace(
                go.Scatter(
                    x=team["month"],
                    y=team[column],
                    customdata=team["meetings"],
                    name=label,
                    legendgroup=column,
                    showlegend=i == 0,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash, "width": 2},
                    marker={"symbol": symbol, "size": 7, "color": colour},
                    hovertemplate=hover,
                ),
                row=row + 1,
                col=col + 1,
            )
        fig.add_hline(y=target, line={"color": TARGET_COLOUR, "dash": "dot", "width": 1}, row=row + 1, col=col + 1)
        if events is not None and not events.empty:
            team_id = team["team_id"].iloc[0]
            mine = events[events["team_id"].isna() | (events["team_id"] == team_id)]
            for event in mine.itertuples():
                _mark_event(fig, event.event_date, str(event.label), row + 1, col + 1)
    shortest = int(trend.groupby("team_id")["month"].count().min()) if not trend.empty else 0
    caveat = (
        f" · {shortest} monthly points or fewer: read as a description, not a signal"
        if 0 < shortest < SHORT_SERIES
        else ""
    )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title_text="Held meetings", col=1)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_xaxes(tickformat="%b\n%Y", dtick="M2")
    fig.update_layout(
        title={
            "text": "Service users and carers at held meetings, by month"
            f"<br><sup>Dotted line: meaningful-involvement target {target:.0%}{caveat}</sup>",
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.22 / rows, "x": 0},
        height=320 * rows + 100,
        margin={"t": 100, "b": 80, "l": 60, "r": 20},
        hovermode="closest",
    )
    return fig


def _mark_event(fig: go.Figure, day: object, label: str, row: int, col: int) -> None:
    """A labelled vertical line at ``day`` on one panel; the label runs up the line."""
    when = pd.Timestamp(day)  # type: ignore[arg-type]
    fig.add_shape(
        type="line",
        x0=when.isoformat(),
        x1=when.isoformat(),
        y0=0,
        y1=1,
        yref="y domain",
        row=row,
        col=col,
        line={"color": EVENT_COLOUR, "width": 1.5, "dash": "longdash"},
    )
    fig.add_annotation(
        x=when.isoformat(),
        y=0.02,
        yref="y domain",
        row=row,
        col=col,
        text=label,
        textangle=-90,
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
        font={"size": 10, "color": EVENT_COLOUR},
        hovertext=f"{label} ({when:%d %b %Y})",
    )
