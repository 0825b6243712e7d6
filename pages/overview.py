"""Overview: are service users and carers at the meetings, overall and per team?"""

import streamlit as st

from observation import charts, definitions, labels, ui
from observation.ui import choices, experience, study, voice_widgets

flt = ui.shared_sidebar("overview")
settings = ui.settings()
st.title(
    "Overview",
    help="Held meetings in the filtered teams and period. Open 'How these are measured' for the definitions.",
)
result = ui.overview(flt)
if not result.has_meetings:
    st.info("No meetings match these filters. Widen the dates or choose other teams in the sidebar.")
    st.stop()

ui.headline(result.overall, result.hidden)
voice_widgets.voice_headline(study.voice_measures(flt).overall, result.overall.meetings_held)
experience.headline(flt, ui.presenting().rule if ui.presenting().on else None)
ui.deck_download(flt)

st.subheader("By team")
ui.team_table(result.teams, result.hidden)

presenting = ui.presenting()


def involvement_by_period() -> None:
    """Each team's presence and meaningful involvement month by month (quarter by quarter, small
    counts hidden, in presenter mode)."""
    period = "quarter" if presenting.on else "month"
    if result.teams_with_recorded_meetings > result.teams_charted:
        st.caption(
            f"Showing the first {charts.MAX_SMALL_MULTIPLES} teams; choose teams in the sidebar to compare others."
        )
    level = labels.PARTICIPATION[settings.meaningful_level]
    hidden = f" · a quarter resting on a count under {presenting.threshold} is left out" if presenting.on else ""
    trend = ui.figure(
        charts.involvement_trend, result.trend, settings.involvement_target, level, result.events, period, hidden
    )
    ui.chart(trend, "overview_trend", f"involvement-by-{period}", flt)


if presenting.on:  # no run and SPC charts in a room: each of their points is one meeting (qi_section says so)
    st.subheader("Quarter by quarter")
    involvement_by_period()
    ui.qi_section(flt, "overview", result)
else:
    trend_tab, qi_tab = choices.open_tab_only(["Month by month", ui.QI_TAB], "overview_tab", ui.QI_LINKS)
    if trend_tab.open:
        with trend_tab:
            involvement_by_period()
    if qi_tab.open:
        with qi_tab:
            ui.qi_section(flt, "overview", result)

with st.expander("How these are measured"):
    st.markdown(definitions.all_definitions(settings.meaningful_level, settings.involvement_target))
