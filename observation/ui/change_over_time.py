"""The "Change over time" section of the Overview, Presence, Attendance and Team profile: the QI
chart's controls kept in the URL, one run or SPC chart per team, and a sentence per team saying
what its chart shows."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from observation import charts, definitions, qi, queries, spc
from observation.filters import StudyFilter
from observation.ui.charting import chart, figure
from observation.ui.state import keep, plain, presenting, query_params, settings, write_query_params
from observation.ui.study import experience_by_month, impact_by_month, overview, qi_subgroups, voice_by_meeting
from observation.ui.widgets import bullet_list

QI_PARAMS = ("measure", "chart", "rules", "rebase", "subgroup", "block")
QI_TAB = "Run and SPC charts"
"""The tab that holds the section on the Overview, Presence and Attendance, beside the page's own
views (choices.open_tab_only: worked out and drawn only when open; on a national study its twelve
panels took a third of each page's drawing)."""
QI_LINKS = dict.fromkeys(QI_PARAMS, QI_TAB)
"""A link that carries a QI chart's choice (?measure=…, ?chart=…) opens the QI tab."""


def qi_controls(prefix: str) -> qi.ChartChoice:
    """The measure, chart type, subgroup, rule set and rebasing of a page's QI chart, kept in the
    URL. Only the charts that fit the measure are offered."""
    keys = {name: f"{prefix}_qi_{name}" for name in QI_PARAMS}
    ready = f"{prefix}_qi_ready"
    # From the URL on the page's first run, and again on a return to the page: Streamlit forgets
    # a widget's value when another page runs.
    for key in keys.values():
        keep(key)
    if any(key not in st.session_state for key in keys.values()):
        parsed = qi.choice_from_query_params(query_params())
        for name, key in keys.items():
            st.session_state[key] = getattr(parsed.choice, name)
        if ready not in st.session_state:
            for notice in parsed.notices:
                st.warning(plain(notice), icon=":material/link_off:")
        st.session_state[ready] = True
    st.segmented_control(
        "Measure",
        options=list(qi.MEASURES),
        format_func=lambda m: qi.MEASURES[m].label,
        key=keys["measure"],
        required=True,
    )
    spec = qi.MEASURES[st.session_state[keys["measure"]]]
    if st.session_state[keys["chart"]] not in spec.charts:  # the measure changed under a chart that does not fit
        asked = qi.ChartChoice(measure=st.session_state[keys["measure"]]).model_copy(
            update={"chart": st.session_state[keys["chart"]]}
        )
        fitted, why = qi.fitted(asked)
        st.session_state[keys["chart"]] = fitted.chart
        if why:
            st.info(why, icon=":material/info:")
    st.segmented_control(
        "Chart",
        options=list(spec.charts),
        format_func=lambda c: qi.CHART_KINDS[c],
        key=keys["chart"],
        required=True,
        help=definitions.CHART_KINDS,
    )
    # in a row that wraps, each control as wide as its longest choice: in four columns a 1,024 px
    # window cut "Making Data Count rules" and "Rebase at events" short
    row = st.container(horizontal=True, vertical_alignment="bottom")
    if spec.yes_no and st.session_state[keys["chart"]] != "g":  # shares per subgroup
        row.selectbox(
            "Subgroups",
            options=list(qi.SUBGROUPS),
            format_func=lambda g: qi.SUBGROUPS[g],
            key=keys["subgroup"],
            help=definitions.SUBGROUPS,
            width=200,
        )
        if st.session_state[keys["subgroup"]] == "block":
            row.number_input(
                "Meetings per block",
                min_value=qi.FEWEST_MEETINGS,
                max_value=12,
                step=1,
                key=keys["block"],
                width=170,
            )
    row.selectbox(
        "Rules",
        options=list(spc.RULE_SET_NAMES),
        format_func=lambda r: spc.RULE_SET_NAMES[r],
        key=keys["rules"],
        help=definitions.RULE_SETS,
        width=320,
    )
    row.toggle("Rebase at events", key=keys["rebase"], help=definitions.REBASE)
    choice = qi.ChartChoice.model_validate({name: st.session_state[key] for name, key in keys.items()})
    write_query_params(qi.choice_to_query_params(choice), QI_PARAMS)
    return choice


def qi_section(flt: StudyFilter, prefix: str, found: queries.Overview | None = None) -> tuple[str, ...]:
    """The "Change over time" section: the QI chart controls, one run or SPC chart per team, and a
    sentence per team saying what its chart shows (returned too: the Team profile's summary leads
    with it). Used by the Overview, Presence, Attendance and Team profile; ``found`` is
    ``overview(flt)`` when the page has it already (each read copies it from the cache)."""
    st.subheader(
        "Change over time",
        help="Run and SPC charts of the held meetings with attendance recorded, one panel per team. A yes/no per "
        "meeting is charted as the share of held meetings per subgroup, or as the gaps between meetings with a yes. "
        "Voice share, items raised and actions owned are charted meeting by meeting over the meetings observed live; "
        "the experience score and the changes from lived experience month by month.",
    )
    if presenting().on:
        st.caption(
            "Presenter mode leaves out the meeting-by-meeting charts: each point there is one meeting's "
            "attendance. The quarterly chart above shows the same measures with small counts hidden."
        )
        return ()
    choice = qi_controls(prefix)
    found = found or overview(flt)
    target = settings().involvement_target if choice.spec.has_target else None
    series = found.series
    if choice.spec.observed_live:  # the meetings observed live, from the contributions recorded
        series = voice_by_meeting(flt, max_teams=charts.MAX_SMALL_MULTIPLES)
        if series.empty:
            st.info(NOT_OBSERVED_LIVE, icon=":material/hearing:")
            return ()
    if choice.spec.monthly:  # the experience questionnaire's answers, or the impact log, month by month
        series = _monthly(flt, choice)
        if series.empty:
            st.info(NOTHING_MONTHLY[choice.measure], icon=":material/rate_review:")
            return ()
    shown = tuple(int(t) for t in series["team_id"].unique())
    if choice.spec.monthly or choice.spec.observed_live:  # a team left out without a word reads as not in the filter
        missing = qi.teams_without_panel(found.series, shown, charts.MAX_SMALL_MULTIPLES)
        if missing:
            why = NOT_LIVE_PANEL if choice.spec.observed_live else WITHOUT_POINTS[choice.measure]
            st.caption(f"No panel for {plain(', '.join(missing))}: {why}.")
    subgroups = qi_subgroups(flt, shown, choice.subgroup, choice.block) if choice.subgrouped else _NO_SUBGROUPS
    fig, sentences = figure(_qi_chart_and_sentences, series, subgroups, found.events, choice, target)
    chart(fig, f"{prefix}_qi_figure", f"{prefix}-qi-chart", flt, rules=spc.RULE_SET_NAMES[choice.rules])
    bullet_list(sentences)
    return sentences


_NO_SUBGROUPS = pd.DataFrame({"team_id": []})
NOTHING_MONTHLY = {
    "experience": "No answers to the experience questionnaire are recorded for these teams and dates, so there is "
    "nothing to chart: service users and carers answer it at the end of a meeting (Capture a meeting).",
    "impact": "No change to the improvement work is logged for these teams and dates, so there is nothing to chart "
    "(the Team profile logs them).",
}


NOT_LIVE_PANEL = "no meeting of theirs was observed live in these dates"
WITHOUT_POINTS = {
    "experience": "nobody answered the experience questionnaire on the scale in these dates",
    "impact": "no change was logged in these dates",
}
"""Why a team with meetings has no panel on a chart of the meetings observed live or of a month's
answers or changes."""


def _monthly(flt: StudyFilter, choice: qi.ChartChoice) -> pd.DataFrame:
    """The monthly series of the experience score (months with answers on the scale) or of the changes
    logged, for the first teams by name, as the QI chart reads a series: a row a month, at its first day."""
    if choice.measure == "experience":
        found = experience_by_month(flt)
        found = found[found["scored"] > 0]
    else:
        found = impact_by_month(flt)
    first = found.drop_duplicates("team_id")["team_id"].head(charts.MAX_SMALL_MULTIPLES)
    return found[found["team_id"].isin(first)].rename(columns={"month": "meeting_date"})


NOT_OBSERVED_LIVE = (
    "No held meeting of these teams and dates was observed live, so there is nothing to chart: voice share, "
    "items raised and actions owned need the contributions recorded as a meeting happens (Capture a meeting)."
)


def _qi_chart_and_sentences(
    series: pd.DataFrame, subgroups: pd.DataFrame, events: pd.DataFrame, choice: qi.ChartChoice, target: float | None
) -> tuple[go.Figure, tuple[str, ...]]:
    team_panels = qi.panels(series, events, choice, subgroups)
    return charts.qi_chart(team_panels, choice, target), tuple(qi.signal_sentences(team_panels, choice, target))
