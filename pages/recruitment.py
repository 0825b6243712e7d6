"""Recruitment tensions: where recruiting people with lived experience stalls, and why."""

import streamlit as st

from observation import definitions, labels, notes, theme_charts, ui
from observation.ui import choices, study, tables, views

flt = ui.shared_sidebar("recruitment")
st.title(
    "Recruitment tensions",
    help=f"{definitions.FUNNEL}\n\nBelow the funnel, the field notes and interview transcripts coded under the "
    "recruitment-tension theme.",
)

found = study.recruitment_tables(flt)
stages = found.funnel
if stages.empty:
    st.info("No teams match these filters.")
    st.stop()
bar = choices.picked(
    ui.chart(ui.figure(theme_charts.funnel, stages), "recruitment_funnel", "recruitment-funnel", flt, clickable=True)
)
if bar:
    team_id, stage = bar[-1]
    st.markdown(
        f"**{ui.plain(study.team_names()[team_id])}, {labels.RECRUITMENT_STAGES[stage].lower()}** — the people and "
        "reasons behind the bar"
    )
    tables.events_table(study.recruitment_events(flt, team_id=team_id, stage=stage), "bar_events")

st.subheader(
    "Time between stages",
    help="Days from one stage to the next, per person, for the funnel's people with both stages dated (a stage only "
    "implied by a later one has no date of its own, so a step can count fewer people than the funnel's bars); the "
    "median and longest.",
)
tables.stage_times_table(found.stage_times)
st.subheader(
    "Declined or withdrew, and why",
    help="The funnel's people, whose recruitment began in these dates, who declined or withdrew by their end.",
)
tables.events_table(
    found.drop_outs, "drop_outs", "Nobody whose recruitment began in these teams and dates declined or withdrew."
)

st.subheader("Recruitment tensions in the notes and interviews", help=definitions.CODE_COUNTS)
source = choices.choose_source("recruitment_source")
by_month = study.tension_by_month(flt, source)
if notes.counts_notes(source):
    views.chart_with_notes(
        flt,
        ui.figure(theme_charts.tension_over_time, by_month, source),
        "recruitment_tensions",
        lambda point: views.excerpt_query(
            codes=views.theme_codes(), source="notes", team_id=point[0], month=views.month_of(point[1])
        ),
        "Click a point to read the notes behind it.",
    )
if notes.counts_interviews(source) and not views.any_transcripts(by_month):
    st.info("No interview transcripts in these teams and dates.", icon=":material/search_off:")
elif notes.counts_interviews(source):
    views.chart_with_notes(
        flt,
        ui.figure(theme_charts.tension_in_interviews, by_month),
        "recruitment_tensions_interviews",
        lambda point: views.excerpt_query(
            codes=views.theme_codes(),
            source="interviews",
            team_id=point[0],
            no_team=point[0] is None,
            month=views.month_of(point[1]),
        ),
        "Click a point to read the interview transcripts behind it.",
    )
views.setting_comparison(by_month, source)
