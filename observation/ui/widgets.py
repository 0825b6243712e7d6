"""The shared widgets that show measures: the headline numbers, the team table, the line comparing
a team with the others, a list of sentences, and the demo badge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from observation import definitions, labels, queries
from observation.presenting import percent, whole_percents
from observation.ui.state import metric_row, plain, presenting, settings

DEMO_NOTICE = "Synthetic demo data: invented people, teams and notes. Nothing here is real."


def headline(measures: queries.Measures, hidden: frozenset[tuple[Any, str]] = frozenset()) -> None:
    """The row of headline numbers for a set of meetings ("hidden" where presenter mode took a
    share out)."""
    s = settings()

    def shown(name: str) -> str:
        return percent(getattr(measures, name), (None, name) in hidden)

    held, presence, representation, meaningful = metric_row(4)
    not_held = f"{measures.meetings_cancelled:,} cancelled · {measures.meetings_postponed:,} postponed"
    service_users, carers = shown("service_user_share"), shown("carer_share")
    for column, label, value, explained, note in (
        (held, "Meetings held", f"{measures.meetings_held:,}", definitions.HELD_AND_CANCELLED, not_held),
        (presence, "Lived-experience presence", shown("presence_share"), definitions.PRESENCE,
         f"service users {service_users} · carers {carers}"),
        (representation, "Mean representation", shown("mean_representation"), definitions.REPRESENTATION,
         "of everyone present"),
    ):  # fmt: skip
        # The delta line carries a plain note under the figure: no colour, no arrow.
        column.metric(label, value, help=explained, border=True, delta=note, delta_color="off", delta_arrow="off")
    # The gap is taken between the rounded figures shown, so 79.5% reads "80%" and "at the target".
    # In words, its arrow and colour set from its sign: "-66 points" under a down arrow read as a
    # double negative.
    share, target = measures.meaningful_share, s.involvement_target
    gap = 0 if share is None else round(share * 100) - round(target * 100)
    against = f"{labels.counted(abs(gap), 'point')} {'below' if gap < 0 else 'above'} the {target:.0%} target"
    meaningful.metric(
        "Meaningful involvement",
        shown("meaningful_share"),
        help=definitions.meaningful(s.meaningful_level, s.involvement_target),
        border=True,
        delta=None if share is None else against if gap else f"at the {target:.0%} target",
        delta_color="red" if gap < 0 else "green" if gap > 0 else "gray",
        delta_arrow="down" if gap < 0 else "up" if gap > 0 else "off",
    )
    if measures.meetings_unrecorded:  # under the row: in the first card's note it was cut off
        n = measures.meetings_unrecorded
        st.caption(
            f"{n} held meeting{' has' if n == 1 else 's have'} no attendance recorded: counted as held, "
            "and left out of every share."
        )


def team_table(teams: tuple[queries.TeamMeasures, ...], hidden: frozenset[tuple[Any, str]] = frozenset()) -> None:
    """One row per team with its measures, as a sortable table that fits the page's width (short
    headers, each with its definition as help); every share a whole percent, "—" where there is none."""
    s = settings()
    frame = pd.DataFrame([t.model_dump() for t in teams]).drop(columns=["team_id"])
    frame["setting"] = frame["setting"].map(labels.SETTINGS)
    shares = ["presence_share", "service_user_share", "carer_share", "mean_representation", "meaningful_share"]
    for name in shares:
        if hidden:  # presenter mode: a hidden share says so, rather than looking like missing data
            frame[name] = [percent(getattr(t, name), (t.team_id, name) in hidden) for t in teams]
        else:
            frame[name] = whole_percents(frame[name])
    if hidden:
        st.caption(f"'hidden': the share could reveal a count under {presenting().threshold}.")

    def share(label: str, explained: str, width: int = SHARE_WIDTH) -> Any:
        if hidden:
            return st.column_config.TextColumn(label, help=explained, width=width)
        return st.column_config.NumberColumn(label, format="%d%%", help=explained, width=width)

    st.dataframe(
        frame,
        hide_index=True,
        key="overview_team_table",
        placeholder="—",
        column_order=[
            "team_name",
            "setting",
            "meetings_held",
            "meetings_cancelled",
            "presence_share",
            "meaningful_share",
            "mean_representation",
            "service_user_share",
            "carer_share",
        ],
        column_config={
            "team_name": st.column_config.TextColumn("Team"),
            "setting": st.column_config.TextColumn("Setting", width=90),
            "meetings_held": st.column_config.NumberColumn("Held", width=60, help=definitions.HELD_AND_CANCELLED),
            "meetings_cancelled": st.column_config.NumberColumn("Cancelled", width=82, help="Meetings cancelled"),
            "presence_share": share("Presence", definitions.PRESENCE),
            "service_user_share": share("Service users", "Presence, counting service users only"),
            "carer_share": share("Carers", "Presence, counting carers only"),
            "mean_representation": share("Representation", definitions.REPRESENTATION, width=112),
            "meaningful_share": share("Meaningful", definitions.meaningful(s.meaningful_level, s.involvement_target)),
        },
    )


SHARE_WIDTH = 88
"""A share's column: wide enough for its header and "100%", so the team table fits 1440 pixels."""


def others_line(others: queries.Measures) -> str:
    """The other teams' figures, for comparison under one team's headline."""
    if others.meetings_held == 0:
        return "No other team in the filter to compare with."
    return (
        f"The other teams in the filter: {others.meetings_held:,} meetings held; lived-experience presence "
        f"{percent(others.presence_share)}, mean representation {percent(others.mean_representation)}, meaningful "
        f"involvement {percent(others.meaningful_share)}."
    )


def bullet_list(lines: Sequence[str]) -> None:
    """Sentences as a Markdown list, with Markdown in them shown as typed (team names are user text)."""
    st.markdown("\n".join(f"- {plain(line)}" for line in lines))


def demo_badge(info: queries.StudyInfo) -> None:
    if info.study.is_demo:
        st.badge("Synthetic demo data", icon=":material/science:", color="orange", help=DEMO_NOTICE)
