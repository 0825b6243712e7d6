"""Tables of the four views, with their columns named and formatted for reading. A long table is
shown a page at a time: a national study has 100,000 meetings, and a browser table of them all
would be slow to send and no quicker to read."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from observation import agreement, labels

PAGE_ROWS = 500


def page_of(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of the page chosen above the table; all of them when there are PAGE_ROWS or fewer."""
    if len(frame) <= PAGE_ROWS:
        return frame
    pages = -(-len(frame) // PAGE_ROWS)
    choice, words = st.columns([1, 4], vertical_alignment="bottom")
    page = int(choice.number_input(f"Page, of {pages:,}", min_value=1, max_value=pages, step=1, key=f"{key}_page"))
    first = (page - 1) * PAGE_ROWS
    words.caption(
        f"Rows {first + 1:,} to {min(first + PAGE_ROWS, len(frame)):,} of {len(frame):,}. "
        "Sorting by a column sorts this page; choose teams or dates in the sidebar to narrow the table."
    )
    return frame.iloc[first : first + PAGE_ROWS]


def effectiveness_table(frame: pd.DataFrame) -> None:
    st.dataframe(
        page_of(frame.drop(columns=["team_id"]), "effectiveness_table"),
        hide_index=True,
        key="effectiveness_table",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width="medium"),
            "period": st.column_config.DateColumn("Meeting or month", format="DD/MM/YYYY"),
            "held": st.column_config.NumberColumn("Held"),
            "not_held": st.column_config.NumberColumn("Not held"),
            "roles_filled": st.column_config.NumberColumn("Roles filled (of 4)", format="%.1f"),
            "action_items": st.column_config.NumberColumn("Action items"),
            "evaluated": st.column_config.ProgressColumn("Evaluated", min_value=0, max_value=1, format="percent"),
        },
    )


def continuity_table(frame: pd.DataFrame) -> None:
    st.dataframe(
        page_of(frame, "continuity_table"),
        hide_index=True,
        key="continuity_table",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width="medium"),
            "code": "Participant",
            "role": "Role",
            "first_attended": st.column_config.DateColumn("First came", format="DD/MM/YYYY"),
            "last_attended": st.column_config.DateColumn("Last came", format="DD/MM/YYYY"),
            "meetings_attended": st.column_config.NumberColumn("Meetings attended"),
            "longest_streak": st.column_config.NumberColumn(
                "Longest run", help="Most consecutive held meetings of the team the person was present at"
            ),
        },
    )


def events_table(frame: pd.DataFrame, key: str, empty: str = "No recruitment events here.") -> None:
    if frame.empty:
        st.info(empty)
        return
    frame = frame.assign(stage=frame["stage"].map(labels.RECRUITMENT_STAGES))
    st.dataframe(
        page_of(frame, key),
        hide_index=True,
        key=key,
        column_config={
            "team_name": st.column_config.TextColumn("Team", width="medium"),
            "code": "Person (code)",
            "stage": "Stage",
            "event_date": st.column_config.DateColumn("Date", format="DD/MM/YYYY"),
            "reason": st.column_config.TextColumn("Coded reason", width="large"),
            "source": st.column_config.TextColumn(
                "Known from", help="A recorded recruitment step, the attendance register, or implied by a later stage."
            ),
        },
    )


def stage_times_table(frame: pd.DataFrame) -> None:
    frame = frame.assign(
        from_stage=frame["from_stage"].map(labels.RECRUITMENT_STAGES),
        to_stage=frame["to_stage"].map(labels.RECRUITMENT_STAGES),
    )
    st.dataframe(
        page_of(frame, "stage_times_table"),
        hide_index=True,
        key="stage_times_table",
        column_config={
            "team_name": st.column_config.TextColumn("Team", width="medium"),
            "from_stage": "From",
            "to_stage": "To",
            "people": "People",
            "median_days": st.column_config.NumberColumn("Median days", format="%.0f"),
            "max_days": st.column_config.NumberColumn("Longest (days)"),
        },
    )


def agreement_summary(result: agreement.Agreement) -> None:
    def kappa(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    notes_col, percent_col, kappa_col = st.columns(3)
    notes_col.metric("Notes coded by both", result.notes, border=True)
    percent_col.metric("Agreement", f"{(result.overall.percent or 0):.0%}", border=True)
    kappa_col.metric(
        "Cohen's kappa",
        kappa(result.overall.kappa),
        border=True,
        help="Pooled over every note-and-code decision; 1 is perfect, 0 is what chance alone gives.",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "code": c.code_name,
                    "both": c.tally.both,
                    "only_a": c.tally.only_a,
                    "only_b": c.tally.only_b,
                    "neither": c.tally.neither,
                    "percent": c.tally.percent,
                    "kappa": c.tally.kappa,
                }
                for c in result.codes
            ]
        ),
        hide_index=True,
        key="agreement_codes",
        column_config={
            "code": st.column_config.TextColumn("Code", width="large"),
            "both": "Both",
            "only_a": f"{result.coder_a} only",
            "only_b": f"{result.coder_b} only",
            "neither": "Neither",
            "percent": st.column_config.ProgressColumn("Agreement", min_value=0, max_value=1, format="percent"),
            "kappa": st.column_config.NumberColumn("Kappa", format="%.2f"),
        },
    )


def disagreements_table(result: agreement.Agreement) -> None:
    if result.disagreements.empty:
        st.success("They agree on every note.")
        return
    st.dataframe(
        page_of(result.disagreements.drop(columns=["note_id"]), "agreement_disagreements"),
        hide_index=True,
        key="agreement_disagreements",
        column_config={
            "team_name": "Team",
            "day": st.column_config.DateColumn("Date", format="DD/MM/YYYY"),
            "body": st.column_config.TextColumn("Note", width="large"),
            "code_name": "Code",
            "coded_by": "Applied by",
        },
    )
