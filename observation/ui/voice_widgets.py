"""Voice at the meetings observed live, shown: the row of its figures beside a headline, the line
comparing a team with the others, and a meeting's timeline of who contributed when."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observation import definitions, view_charts, voice
from observation.presenting import percent
from observation.ui.charting import figure, plot
from observation.ui.state import metric_row, presenting

HIDDEN = "hidden"
NOT_OBSERVED = (
    "No held meeting here was observed live: voice share, items raised and actions owned need the "
    "contributions recorded as a meeting happens (Capture a meeting)."
)

ONLY_OBSERVERS = (
    "Not counted as observed live: every contribution recorded here is an observer's, and observers' "
    "contributions are not counted."
)


def voice_headline(measures: voice.VoiceMeasures, held: int) -> None:
    """The row of voice figures for a set of meetings, of which ``held`` were held; "hidden" where
    presenter mode took a figure out. One line instead when no meeting was observed live."""
    if measures.meetings_observed_live == 0:
        st.caption(NOT_OBSERVED)
        return
    live, share, items, actions = metric_row(4)
    live.metric(
        "Meetings observed live",
        f"{measures.meetings_observed_live:,}",
        help=definitions.OBSERVED_LIVE,
        border=True,
        delta=f"of {held:,} held",
        delta_color="off",
        delta_arrow="off",
    )
    share.metric(
        "Voice share",
        percent(measures.mean_voice_share, measures.mean_voice_share is None),
        help=definitions.VOICE_SHARE,
        border=True,
        delta="mean of the meetings",
        delta_color="off",
        delta_arrow="off",
    )
    for column, label, count, each, explained in (
        (items, "Items raised", measures.items_raised, measures.items_per_meeting, definitions.ITEMS_RAISED),
        (actions, "Actions owned", measures.actions_owned, measures.actions_per_meeting, definitions.ACTIONS_OWNED),
    ):
        column.metric(
            label,
            HIDDEN if count is None else f"{count:,}",
            help=explained,
            border=True,
            delta=f"a meeting observed live: {HIDDEN}" if each is None else f"{each:.1f} a meeting observed live",
            delta_color="off",
            delta_arrow="off",
        )
    if None in (measures.mean_voice_share, measures.items_raised, measures.actions_owned):  # presenter mode hid one
        # a large total hidden too (999 items raised) with nothing but "counts under 5" said on screen
        st.caption(
            f"“hidden”: a count from 1 to {presenting().threshold - 1}, or a figure that, with the others "
            "shown, would let such a count be worked out (a team's by subtraction from the study's, say)."
        )


def voice_others_line(others: voice.VoiceMeasures) -> str:
    """The other teams' voice, for comparison under one team's."""
    if others.meetings_observed_live == 0:
        return "No other team in the filter has a meeting observed live."
    n, items, actions = others.meetings_observed_live, others.items_raised or 0, others.actions_owned or 0
    return (
        f"The other teams in the filter: {n:,} meeting{'' if n == 1 else 's'} observed live; voice share "
        f"{percent(others.mean_voice_share)}, {items:,} item{'' if items == 1 else 's'} raised and {actions:,} "
        f"action{'' if actions == 1 else 's'} owned by service users and carers."
    )


def show_contributions(timeline: pd.DataFrame, meeting_id: int) -> None:
    """A meeting's contributions recorded live: who contributed when, as a chart of minute by
    person, and as a table. Never in presenter mode: it follows each person through the meeting."""
    if presenting().on:
        return
    if timeline.empty:
        st.caption("Not observed live: no contribution was recorded at this meeting.")
        return
    st.markdown("##### Who contributed when", help=definitions.OBSERVED_LIVE)
    if not voice.observed_live(timeline):
        st.caption(ONLY_OBSERVERS)
    fig = figure(view_charts.contribution_timeline, timeline)
    plot(fig, f"meeting_{meeting_id}_timeline")
    st.dataframe(
        timeline.assign(lived_experience=timeline["lived_experience"].map({True: "yes", False: ""})),
        hide_index=True,
        key=f"meeting_{meeting_id}_contributions",
        column_order=["minute", "code", "role", "lived_experience", "contribution"],  # not observer: a role says it
        column_config={
            "minute": st.column_config.NumberColumn("Minute", width=70),
            "code": "Participant",
            "role": "Role",
            "lived_experience": st.column_config.TextColumn("Lived experience", width=120),
            "contribution": "Contribution",
        },
    )
