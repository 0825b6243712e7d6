"""Presence and absence: who was in the room, meeting by meeting, in each team."""

import streamlit as st

from observation import definitions, ui, view_charts
from observation.ui import choices, study, views

flt = ui.shared_sidebar("presence")
settings = ui.settings()
st.title("Presence and absence", help=f"{definitions.PRESENCE}\n\n{definitions.REPRESENTATION}")

rows = study.meeting_rows(flt, settings.meaningful_level)
if rows.empty:
    st.info("No meetings match these filters. Widen the dates or choose other teams in the sidebar.")
    st.stop()
clicked = []
who_came = "Who came to each meeting"
by_meeting_tab, who_tab, qi_tab = choices.open_tab_only(
    ["Meeting by meeting", who_came, ui.QI_TAB],
    "presence_tab",
    linked=dict.fromkeys(["team_view", "rows"], who_came) | ui.QI_LINKS,  # the matrix's own choices
)
if by_meeting_tab.open:
    with by_meeting_tab:
        by_meeting = ui.figure(view_charts.presence_by_meeting, rows)
        clicked += choices.picked(
            ui.chart(by_meeting, "presence_by_meeting", "presence-by-meeting", flt, clickable=True)
        )
if who_tab.open:
    with who_tab:
        team_col, rows_col = st.columns([3, 2])
        with team_col:
            team_id = choices.choose_team("presence_team", "team_view", flt)
        choices.url_choice("presence_rows", "rows", ["role", "person"], "role")
        by = rows_col.segmented_control(
            "One row per",
            ["role", "person"],
            format_func={"role": "role", "person": "person (code)"}.get,
            key="presence_rows",
            required=True,
        )
        choices.keep_in_url("rows", by, "role")
        if team_id is not None:
            matrix = study.attendance_matrix(flt, team_id, by)
            clicked += choices.picked(
                ui.chart(
                    ui.figure(view_charts.attendance_matrix, matrix), "presence_matrix", "who-came", flt, clickable=True
                )
            )
if qi_tab.open:
    with qi_tab:
        ui.qi_section(flt, "presence")

meeting_id = choices.choose_meeting("presence_meeting", "meeting", rows, clicked)
if meeting_id is not None and (detail := study.meeting_detail(meeting_id)) is not None:
    views.show_meeting(detail, views.meeting_notes(meeting_id), study.meeting_timeline(meeting_id))
