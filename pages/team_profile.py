"""Team profile: one team's story on one screen, for its coach — against the other teams, with the
QI chart, the recruitment funnel, who kept coming and how they found it, what changed because of them, how
meetings ran, and the tensions in its notes."""

import streamlit as st

from observation import charts, definitions, labels, presenting, profile, recruitment, theme_charts, ui, view_charts
from observation.ui import choices, experience, printing, study, tables, views, voice_widgets

flt = ui.shared_sidebar("team_profile")
printing.printable()
st.title(
    "Team profile",
    help="One team within the sidebar's dates, compared with the other teams in the filter. Print it from the "
    "browser (Ctrl+P or ⌘P). The link keeps the team.",
)
team_id = choices.choose_team("profile_team", "profile", flt, keep_first=True)  # a link to the first team keeps it
if team_id is None:
    st.info("No teams match the filters in the sidebar.")
    st.stop()
settings = ui.settings()
if (mode := ui.presenting()).on:  # the team as a room may see it: small counts hidden, no one person followed
    room = study.team_in_the_room(flt, team_id)
    if room is None:
        st.info("This team has no meetings in these dates.")
        st.stop()
    st.subheader(ui.plain(room.team.team_name))
    ui.headline(room.team, room.hidden)
    voice_widgets.voice_headline(study.voice_measures(flt).of_team(team_id), room.team.meetings_held)
    ui.deck_download(profile.team_filter(flt, team_id))
    st.caption(room.study_line)
    level = labels.PARTICIPATION[settings.meaningful_level]
    left_out = f" · a quarter resting on a count under {mode.threshold} is left out"
    trend = ui.figure(
        charts.involvement_trend, room.trend, settings.involvement_target, level, room.events, "quarter", left_out
    )
    ui.chart(trend, "profile_trend", "team-by-quarter", flt)
    experience.team_experience_in_the_room(team_id, mode.rule)
    st.subheader(
        "Recruitment tensions in the notes and interviews", help=f"{profile.TENSION_RANKING} {definitions.CODE_COUNTS}"
    )
    if not room.tensions:
        st.markdown("No note or interview transcript of this team is coded with a recruitment tension.")
    for source, lines in room.tensions:
        st.caption(source)
        ui.bullet_list(lines)
    st.caption(presenting.LEFT_OUT_OF_THE_TEAM)
    st.stop()
found = study.team_profile(flt, team_id, settings.meaningful_level)
if found is None:
    st.info("This team has no meetings in these dates.")
    st.stop()
mine = profile.team_filter(flt, team_id)

ui.headline(found.team)
st.caption(ui.others_line(found.others))
voice_widgets.voice_headline(found.team_voice, found.team.meetings_held)
if found.team_voice.meetings_observed_live:
    st.caption(voice_widgets.voice_others_line(found.others_voice))
ui.deck_download(mine)
in_short = st.container()  # filled once the QI chart below has said what it shows

reading = ui.qi_section(mine, "profile")
with in_short:
    st.subheader("In short", help="The QI chart's reading first, in the words under the chart.")
    ui.bullet_list([*reading, *found.summary])

st.subheader("Recruitment", help="The team's recruitment funnel: how many people reached each stage.")
ui.chart(ui.figure(theme_charts.funnel, study.funnel(mine)), "profile_funnel", "recruitment-funnel", mine)
if found.stall is not None:
    st.markdown(ui.plain(found.stall.sentence()))

st.subheader("Who kept coming", help="Each person with lived experience, meeting by meeting.")
matrix = study.attendance_matrix(mine, team_id, "person")
if matrix["lived_experience"].any():
    ui.chart(ui.figure(view_charts.swimlane, matrix), "profile_swimlane", "who-kept-coming", mine)
else:
    st.info("Nobody with lived experience is recorded in this team.")
tables.continuity_table(study.continuity(mine))
experience.team_experience(flt, team_id)

st.subheader("How the meetings ran")
tables.effectiveness_table(study.meeting_effectiveness(mine, "month"), "month")

st.subheader(
    "Recruitment tensions in the notes and interviews",
    help=f"The three codes under the '{recruitment.TENSION_THEME}' theme this team's field notes and interview "
    "transcripts return to most, each with its counts by source and a few of the notes and transcripts coded with "
    f"it. {profile.TENSION_RANKING} {definitions.CODE_COUNTS}",
)
if not found.tensions:
    st.info("No note or interview transcript of this team is coded with a recruitment tension in these dates.")
for tension in found.tensions:
    views.quotes(mine, tension)
