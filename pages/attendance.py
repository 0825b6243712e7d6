"""Attendance over time: who came by role, how meetings ran, and who with lived experience stayed."""

import streamlit as st

from observation import charts, definitions, ui, view_charts
from observation.ui import choices, study, tables

flt = ui.shared_sidebar("attendance")
st.title(
    "Attendance over time",
    help="People present by role at held meetings; meeting effectiveness; and continuity — how many distinct "
    "people with lived experience came, and for how many consecutive meetings each stayed.",
)


def chosen_period() -> str:
    """Counting per meeting or per month: the reader's choice (the link's, on arrival)."""
    choices.url_choice("attendance_period", "period", ["meeting", "month"], "meeting")
    return str(st.session_state["attendance_period"])


def count_per() -> str:
    """The choice of counting per meeting or per month, for the two tabs it applies to."""
    chosen_period()
    period: str = st.segmented_control("Count per", ["meeting", "month"], key="attendance_period", required=True)
    choices.keep_in_url("period", period, "meeting")
    return period


by_role_tab, ran_tab, continuity_tab, qi_tab = choices.open_tab_only(
    ["By role", "How the meetings ran", "Continuity", ui.QI_TAB],
    "attendance_tab",
    linked={"team_view": "Continuity"} | ui.QI_LINKS,
)
if by_role_tab.open:
    with by_role_tab:
        st.caption(definitions.PRESENT_BY_ROLE)
        counted = chosen_period()
        # the query returns only the teams the chart draws: one row per bar
        by_role = study.attendance_by_role(flt, counted, max_teams=charts.MAX_SMALL_MULTIPLES)
        if counted == "meeting" and len(by_role) > charts.MOST_BARS:  # a bar's part a row
            # the control shows what the chart counts; the choice of meeting is kept for a narrower filter
            st.segmented_control(
                "Count per", ["meeting", "month"], default="month", disabled=True, key="attendance_forced"
            )
            st.caption(
                f"Counted per month, as the mean a meeting: per meeting there would be "
                f"{view_charts.bars_of(by_role):,} bars, too many to "
                "read. Choose fewer teams or a shorter period in the sidebar to count per meeting."
            )
            counted = "month"
            by_role = study.attendance_by_role(flt, counted, max_teams=charts.MAX_SMALL_MULTIPLES)
        else:
            count_per()
        if by_role.empty:
            st.info("No held meetings with anyone recorded present match these filters.")
        else:
            by_role_chart = ui.figure(view_charts.attendance_by_role, by_role, counted)
            ui.chart(by_role_chart, "attendance_by_role", f"attendance-by-role-per-{counted}", flt)
if ran_tab.open:
    with ran_tab:
        period = count_per()
        st.caption(definitions.MEETINGS_RAN)
        tables.effectiveness_table(study.meeting_effectiveness(flt, period), period)
if continuity_tab.open:
    with continuity_tab:
        st.caption(
            "For every team in the filter: how many distinct people with lived experience came, and for how many "
            "consecutive meetings each stayed. Below, one team's people meeting by meeting."
        )
        tables.continuity_table(study.continuity(flt))
        team_id = choices.choose_team("attendance_team", "team_view", flt)
        matrix = study.attendance_matrix(flt, team_id, "person") if team_id is not None else None
        if matrix is None or not matrix["lived_experience"].any():
            st.info("Nobody with lived experience is recorded in this team.")
        else:
            ui.chart(ui.figure(view_charts.swimlane, matrix), "attendance_swimlane", "who-kept-coming", flt)
if qi_tab.open:
    with qi_tab:
        ui.qi_section(flt, "attendance")
